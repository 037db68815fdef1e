using System.Text;
using Molt.Net.Http;
using Molt.Net.Kv;
using Molt.Net.Tcp;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>The HTTP/1.1 parser (every error status), the session loop over a scripted transport, and the KV handler.</summary>
public class HttpTests
{
    private static (HttpParse st, HttpRequestParser p, int used) Parse(string s, int maxHead = 1024, int maxBody = 4096)
    {
        var p = new HttpRequestParser(maxHead, maxBody);
        var st = p.Feed(Encoding.ASCII.GetBytes(s), out int used);
        return (st, p, used);
    }

    [Fact]
    public void Simple_get_and_keep_alive_rules()
    {
        var (st, p, used) = Parse("GET /kv/a HTTP/1.1\r\nHost: x\r\n\r\nGET /next");
        Assert.Equal(HttpParse.Complete, st);
        Assert.Equal(RequestMethod.Get, p.Method);
        Assert.Equal("/kv/a", Encoding.ASCII.GetString(p.Target));
        Assert.True(p.KeepAlive);
        Assert.Equal("GET /kv/a HTTP/1.1\r\nHost: x\r\n\r\n".Length, used);
        Assert.False(Parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").p.KeepAlive);
        Assert.False(Parse("GET / HTTP/1.0\r\n\r\n").p.KeepAlive);
        Assert.True(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").p.KeepAlive);
        Assert.Equal(HttpParse.Complete, Parse("\r\nGET / HTTP/1.1\nHost: x\n\n").st); // bare LF and a leading empty line
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]                                  // no Host
    [InlineData("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400)]                      // empty target
    [InlineData("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400)]                       // bad method token
    [InlineData("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400)]                      // space before colon
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400)]
    [InlineData("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\n\r\n", 411)]
    [InlineData("POST /kv/a HTTP/1.1\r\nHost: x\r\n\r\n", 411)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n", 413)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n", 413)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400)]
    [InlineData("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400)]
    public void Every_error_status(string request, int status)
    {
        var (st, p, _) = Parse(request);
        Assert.Equal(HttpParse.Error, st);
        Assert.Equal(status, p.ErrorStatus);
    }

    [Fact]
    public void Header_section_too_large_is_431()
    {
        var (st, p, _) = Parse("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 2000) + "\r\n\r\n", maxHead: 1024);
        Assert.Equal(HttpParse.Error, st);
        Assert.Equal(431, p.ErrorStatus);
    }

    [Fact]
    public void Chunked_body_with_extensions_and_trailers()
    {
        var (st, p, _) = Parse("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
        Assert.Equal(HttpParse.Complete, st);
        Assert.Equal("hello world", Encoding.ASCII.GetString(p.Body));
    }

    [Fact]
    public void Any_split_of_the_input_gives_the_same_result()
    {
        string req = "PUT /kv/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nPUT /kv/j HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz";
        byte[] all = Encoding.ASCII.GetBytes(req);
        var rng = new Random(5);
        for (int trial = 0; trial < 300; trial++)
        {
            var p = new HttpRequestParser(1024, 1024);
            var bodies = new List<string>();
            int pos = 0;
            while (pos < all.Length)
            {
                int n = 1 + rng.Next(Math.Min(20, all.Length - pos));
                int off = 0;
                while (off < n)
                {
                    var st = p.Feed(all.AsSpan(pos + off, n - off), out int used);
                    off += used;
                    Assert.NotEqual(HttpParse.Error, st);
                    if (st == HttpParse.Complete) { bodies.Add(Encoding.ASCII.GetString(p.Body)); p.Reset(); }
                }
                pos += n;
            }
            Assert.Equal(new[] { "abcde", "xyz" }, bodies);
        }
    }

    [Fact]
    public void Parser_fuzz_never_throws_and_always_decides()
    {
        var seeds = new[]
        {
            "GET /kv/a HTTP/1.1\r\nHost: x\r\n\r\n",
            "PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "DELETE /kv/a HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
        };
        var rng = new Random(77);
        var p = new HttpRequestParser(512, 512);
        int complete = 0, errors = 0;
        for (int i = 0; i < 100_000; i++)
        {
            byte[] b = Encoding.ASCII.GetBytes(seeds[rng.Next(seeds.Length)]);
            int m = 1 + rng.Next(4);
            for (int k = 0; k < m; k++)
            {
                int at = rng.Next(b.Length);
                switch (rng.Next(4))
                {
                    case 0: b[at] = (byte)rng.Next(256); break;
                    case 1: b[at] = (byte)"\r\n :0123456789abcdefABCDEF;"[rng.Next(27)]; break;
                    case 2: Array.Resize(ref b, at); break;
                    case 3: var nb = new byte[b.Length + 8]; Array.Copy(b, nb, at); Array.Copy(b, at, nb, at + 8, b.Length - at); b = nb; break;
                }
                if (b.Length == 0) break;
            }
            p.Reset();
            var st = p.Feed(b, out int used);
            Assert.InRange(used, 0, b.Length);
            if (st == HttpParse.Complete) { complete++; Assert.InRange(p.BodyLength, 0, 512); }
            else if (st == HttpParse.Error) { errors++; Assert.True(p.ErrorStatus >= 400 && p.ErrorStatus < 600); }
            else Assert.Equal(b.Length, used);
        }
        Assert.True(complete > 1000 && errors > 1000, $"{complete} complete, {errors} errors");
    }

    /// <summary>A transport that hands out scripted chunks and records what the server writes.</summary>
    internal sealed class ScriptTransport : IHttpTransport
    {
        private readonly Queue<byte[]?> _chunks = new();
        public readonly MemoryStream Output = new();
        public ScriptTransport(params string?[] chunks) { foreach (var c in chunks) _chunks.Enqueue(c == null ? null : Encoding.ASCII.GetBytes(c)); }
        public int Read(Span<byte> buffer, long timeout)
        {
            if (_chunks.Count == 0) return 0;
            byte[]? c = _chunks.Peek();
            if (c == null) { _chunks.Dequeue(); return TcpError.TimedOut; }
            int n = Math.Min(c.Length, buffer.Length);
            c.AsSpan(0, n).CopyTo(buffer);
            if (n == c.Length) _chunks.Dequeue();
            else { _chunks.Dequeue(); var rest = new Queue<byte[]?>(); rest.Enqueue(c[n..]); foreach (var x in _chunks) rest.Enqueue(x); _chunks.Clear(); foreach (var x in rest) _chunks.Enqueue(x); }
            return n;
        }
        public bool Write(ReadOnlySpan<byte> data) { Output.Write(data); return true; }
        public bool OthersWaiting { get; set; }
        public bool Delivered => true;
        public string Text => Encoding.ASCII.GetString(Output.ToArray());
    }

    private static (string output, KvTable table) Serve(params string?[] chunks)
    {
        var table = new KvTable(64, 1 << 22);
        var handler = new KvHandler { Store = table };
        var session = new HttpSession(1024, 1 << 20);
        var t = new ScriptTransport(chunks);
        session.Serve(t, handler);
        return (t.Text, table);
    }

    [Fact]
    public void Kv_put_get_delete_with_keep_alive_and_pipelining()
    {
        var (o, table) = Serve(
            "PUT /kv/alpha HTTP/1.1\r\nHost: m\r\nContent-Length: 5\r\n\r\nhello",
            "GET /kv/alpha HTTP/1.1\r\nHost: m\r\n\r\nPUT /kv/alpha HTTP/1.1\r\nHost: m\r\nContent-Length: 2\r\n\r\nhi",
            "GET /kv/alpha HTTP/1.1\r\nHost: m\r\n\r\nDELETE /kv/alpha HTTP/1.1\r\nHost: m\r\n\r\n",
            "GET /kv/alpha HTTP/1.1\r\nHost: m\r\n\r\nDELETE /kv/alpha HTTP/1.1\r\nHost: m\r\n\r\nPOST /kv/alpha HTTP/1.1\r\nHost: m\r\nContent-Length: 0\r\n\r\n",
            "GET /other HTTP/1.1\r\nHost: m\r\n\r\nGET /kv/bad%20key HTTP/1.1\r\nHost: m\r\n\r\n");
        string[] statuses = o.Split("HTTP/1.1 ").Skip(1).Select(x => x[..3]).ToArray();
        Assert.Equal(new[] { "201", "200", "204", "200", "204", "404", "404", "405", "404", "400" }, statuses);
        Assert.Contains("Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello", o);
        Assert.Contains("Content-Length: 2\r\nConnection: keep-alive\r\n\r\nhi", o);
        Assert.Contains("Allow: GET, PUT, DELETE", o);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Expect_continue_gets_100_then_the_answer()
    {
        var (o, table) = Serve("PUT /kv/k HTTP/1.1\r\nHost: m\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", "abc");
        Assert.StartsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created", o);
    }

    [Fact]
    public void Idle_connection_yields_its_worker_only_when_others_wait()
    {
        var table = new KvTable(64, 1 << 22);
        var handler = new KvHandler { Store = table };
        // Nobody waits: three idle slices pass and the next request is still served.
        var session = new HttpSession(1024, 1 << 20);
        var t = new ScriptTransport(null, null, null, "GET /kv/a HTTP/1.1\r\nHost: h\r\n\r\n");
        session.Serve(t, handler);
        Assert.StartsWith("HTTP/1.1 404", t.Text);
        Assert.Equal(0, session.Yielded);
        // Others wait: the first idle slice ends the connection, with no answer (nothing was asked)...
        var u = new ScriptTransport(null, null, "GET /kv/a HTTP/1.1\r\nHost: h\r\n\r\n") { OthersWaiting = true };
        session.Serve(u, handler);
        Assert.Equal("", u.Text);
        Assert.Equal(1, session.Yielded);
        // ...unless a last look finds a request that came in meanwhile.
        var w = new ScriptTransport(null, "GET /kv/a HTTP/1.1\r\nHost: h\r\n\r\n") { OthersWaiting = true };
        session.Serve(w, handler);
        Assert.StartsWith("HTTP/1.1 404", w.Text);
        Assert.Equal(1, session.Yielded);
        // A request in progress never yields: it gets its own time-out (408).
        var v = new ScriptTransport("GET /kv/a HTTP/1.1\r\nHo", null) { OthersWaiting = true };
        session.Serve(v, handler);
        Assert.StartsWith("HTTP/1.1 408", v.Text);
    }

    [Fact]
    public void Slow_request_gets_408_and_idle_connection_just_closes()
    {
        Assert.StartsWith("HTTP/1.1 408 Request Timeout", Serve("GET /kv/a HTTP/1.1\r\nHo", null).output);
        Assert.Equal("", Serve(new string?[] { null }).output);
        Assert.Contains("Connection: close", Serve("GET /kv/a HTTP/1.1\r\nHo", null).output);
    }

    [Fact]
    public void Errors_close_the_connection_and_answer_413_411_431()
    {
        var (o, _) = Serve("PUT /kv/a HTTP/1.1\r\nHost: m\r\nContent-Length: 2000000\r\n\r\n", "GET / HTTP/1.1\r\nHost: m\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 413 ", o);
        Assert.Contains("Connection: close", o);
        Assert.DoesNotContain("200", o);
        Assert.StartsWith("HTTP/1.1 411 ", Serve("PUT /kv/a HTTP/1.1\r\nHost: m\r\n\r\n").output);
        Assert.StartsWith("HTTP/1.1 431 ", Serve("GET / HTTP/1.1\r\nHost: m\r\nX: " + new string('y', 1100) + "\r\n\r\n").output);
    }

    [Fact]
    public void One_mebibyte_values_round_trip_and_a_full_store_answers_503()
    {
        string big = new string('v', 1 << 20);
        var (o, table) = Serve($"PUT /kv/big HTTP/1.1\r\nHost: m\r\nContent-Length: {big.Length}\r\n\r\n" + big, "GET /kv/big HTTP/1.1\r\nHost: m\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 201", o);
        Assert.EndsWith(big, o);

        var small = new KvTable(16, 10);
        var h = new KvHandler { Store = small };
        var s = new HttpSession(1024, 1024);
        var t = new ScriptTransport("PUT /kv/a HTTP/1.1\r\nHost: m\r\nContent-Length: 11\r\n\r\nhello world");
        s.Serve(t, h);
        Assert.StartsWith("HTTP/1.1 503", t.Text);
        Assert.Contains("Retry-After: 1", t.Text);
    }

    [Fact]
    public void Kv_table_reuses_slots_and_counts_bytes()
    {
        var t = new KvTable(16, 1 << 20);
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 12; i++) Assert.Equal(1, t.Put(Encoding.ASCII.GetBytes($"k{i}"), new byte[i + 1]));
            Assert.Equal(-1, t.Put("overflow"u8, new byte[1])); // keeps a quarter of 16 slots free
            Assert.Equal(0, t.Put("k3"u8, new byte[100]));
            Assert.Equal(12, t.Count);
            for (int i = 0; i < 12; i++) Assert.True(t.Delete(Encoding.ASCII.GetBytes($"k{i}")));
            Assert.Equal(0, t.Count); Assert.Equal(0, t.Bytes);
        }
        Assert.Equal(-2, t.Put(new byte[KvTable.MaxKey + 1], new byte[1]));
        Assert.Equal(-2, t.Put("x"u8, new byte[KvTable.MaxValue + 1]));
    }
}
