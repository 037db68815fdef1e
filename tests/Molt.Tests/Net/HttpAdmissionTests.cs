using System.Text;
using Molt.Net.Http;
using Xunit;
using static Molt.Tests.Net.HttpTests;

namespace Molt.Tests.Net;

/// <summary>
/// Requests decided at their head (the update daemon's pushes): the parser
/// stops before the body, the body goes to the handler's own buffer or is
/// dropped, and an admitted request that never completes is handed back once.
/// </summary>
public class HttpAdmissionTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void Parser_stops_at_the_head_only_when_a_body_follows()
    {
        var p = new HttpRequestParser(1024, 1 << 20, 16) { StopAtHead = true };
        byte[] get = Ascii("GET /status HTTP/1.1\r\nHost: m\r\n\r\n");
        Assert.Equal(HttpParse.Complete, p.Feed(get, out _));

        p.Reset();
        byte[] post = Ascii("POST /patches HTTP/1.1\r\nHost: m\r\nContent-Length: 40\r\n\r\n" + new string('b', 40));
        Assert.Equal(HttpParse.HeadReady, p.Feed(post, out int used));
        Assert.Equal(post.Length - 40, used);
        var upload = new byte[64];
        p.ReceiveBodyInto(upload);
        Assert.Equal(HttpParse.Complete, p.Feed(post.AsSpan(used), out int rest));
        Assert.Equal(40, rest);
        Assert.Equal(new string('b', 40), Encoding.ASCII.GetString(p.Body));
        Assert.Equal((byte)'b', upload[39]);
    }

    [Fact]
    public void A_body_larger_than_its_buffer_is_413_and_a_dropped_body_is_counted_but_not_kept()
    {
        var p = new HttpRequestParser(1024, 1 << 20, 16);
        // Within the head's limit but beyond the parser's own 16 bytes, with nowhere else to go.
        Assert.Equal(HttpParse.Error, p.Feed(Ascii("PUT /x HTTP/1.1\r\nHost: m\r\nContent-Length: 17\r\n\r\n" + new string('a', 17)), out _));
        Assert.Equal(413, p.ErrorStatus);

        p.Reset(); p.StopAtHead = true;
        byte[] chunked = Ascii("POST /x HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + new string('c', 32) + "\r\n0\r\n\r\n");
        Assert.Equal(HttpParse.HeadReady, p.Feed(chunked, out int used));
        p.DiscardBody();
        Assert.Equal(HttpParse.Complete, p.Feed(chunked.AsSpan(used), out _));
        Assert.Equal(32, p.BodyLength);
        Assert.True(p.Body.IsEmpty);
    }

    private sealed class Gate : IHttpHandler, IHttpAdmission
    {
        public bool Admitting = true;
        public byte[] Upload = new byte[256];
        public int Admitted, Handled, Abandoned;
        public string LastBody = "";

        public bool Admit(HttpRequestParser request, HttpResponse response)
        {
            if (!Admitting) { response.Text(409, "busy\n"); return false; }
            Admitted++;
            request.ReceiveBodyInto(Upload);
            return true;
        }

        void IHttpAdmission.Abandoned(HttpRequestParser request) => Abandoned++;
        public int Sent;
        void IHttpAdmission.Sent(HttpRequestParser request, HttpResponse response) => Sent++;

        public void Handle(HttpRequestParser request, HttpResponse response)
        {
            Handled++;
            LastBody = Encoding.ASCII.GetString(request.Body);
            response.Text(200, "ok\n");
        }
    }

    private static (string output, Gate gate) Serve(Gate gate, params string?[] chunks)
    {
        var session = new HttpSession(1024, 1 << 20, storedBody: 64);
        var t = new ScriptTransport(chunks);
        session.Serve(t, gate);
        return (t.Text, gate);
    }

    [Fact]
    public void An_admitted_body_lands_in_the_handlers_buffer()
    {
        string body = new string('z', 200); // beyond the session's own 64 bytes
        var (o, g) = Serve(new Gate(), $"POST /patches HTTP/1.1\r\nHost: m\r\nContent-Length: 200\r\n\r\n{body}");
        Assert.StartsWith("HTTP/1.1 200 OK", o);
        Assert.Equal((1, 1, 0, 1), (g.Admitted, g.Handled, g.Abandoned, g.Sent));
        Assert.Equal(body, g.LastBody);
    }

    [Fact]
    public void Expect_continue_is_answered_only_once_admitted()
    {
        var (o, g) = Serve(new Gate(), "POST /p HTTP/1.1\r\nHost: m\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", "abc");
        Assert.StartsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", o);

        // Refused at the head: the answer at once, no 100, the connection closed (the body never comes).
        var (refused, g2) = Serve(new Gate { Admitting = false }, "POST /p HTTP/1.1\r\nHost: m\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", "GET /again HTTP/1.1\r\nHost: m\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 409 Conflict", refused);
        Assert.DoesNotContain("100 Continue", refused);
        Assert.Contains("Connection: close", refused);
        Assert.Equal(0, g2.Handled);
    }

    [Fact]
    public void A_refused_body_without_expect_is_read_and_dropped_then_the_next_request_is_served()
    {
        var (o, g) = Serve(new Gate { Admitting = false },
            "POST /p HTTP/1.1\r\nHost: m\r\nContent-Length: 100\r\n\r\n" + new string('x', 100) + "GET /s HTTP/1.1\r\nHost: m\r\n\r\n");
        string[] statuses = o.Split("HTTP/1.1 ").Skip(1).Select(x => x[..3]).ToArray();
        Assert.Equal(new[] { "409", "200" }, statuses);
        Assert.Equal((0, 1, 0), (g.Admitted, g.Handled, g.Abandoned));
    }

    [Fact]
    public void An_admitted_request_whose_peer_leaves_or_stalls_is_abandoned_exactly_once()
    {
        var (left, g) = Serve(new Gate(), "POST /p HTTP/1.1\r\nHost: m\r\nContent-Length: 100\r\n\r\nonly part");
        Assert.Equal("", left);
        Assert.Equal((1, 0, 1), (g.Admitted, g.Handled, g.Abandoned));

        var (stalled, g2) = Serve(new Gate(), "POST /p HTTP/1.1\r\nHost: m\r\nContent-Length: 100\r\n\r\nonly part", null);
        Assert.StartsWith("HTTP/1.1 408", stalled);
        Assert.Equal((1, 0, 1), (g2.Admitted, g2.Handled, g2.Abandoned));

        var (bad, g3) = Serve(new Gate(), "POST /p HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        Assert.StartsWith("HTTP/1.1 400", bad);
        Assert.Equal((1, 0, 1), (g3.Admitted, g3.Handled, g3.Abandoned));
    }

    private sealed class OwnErrors : IHttpHandler, IHttpErrorWriter
    {
        public void Handle(HttpRequestParser request, HttpResponse response) => response.Text(200, "ok\n");
        public void WriteError(int status, HttpResponse response) { response.Text(status, $"{{\"status\":{status}}}"); response.ContentType = "application/json"; }
    }

    [Fact]
    public void A_handler_can_write_the_sessions_own_errors()
    {
        var session = new HttpSession(1024, 16);
        var t = new ScriptTransport("PUT /x HTTP/1.1\r\nHost: m\r\nContent-Length: 17\r\n\r\n");
        session.Serve(t, new OwnErrors());
        Assert.StartsWith("HTTP/1.1 413 ", t.Text);
        Assert.Contains("Content-Type: application/json", t.Text);
        Assert.EndsWith("{\"status\":413}", t.Text);

        var stalled = new ScriptTransport("GET /x HTTP/1.1\r\nHo", null);
        new HttpSession(1024, 16).Serve(stalled, new OwnErrors());
        Assert.EndsWith("{\"status\":408}", stalled.Text);
    }

    [Fact]
    public void Json_writer_places_commas_escapes_and_reports_overflow()
    {
        var buffer = new byte[256];
        var json = new JsonWriter(buffer);
        json.BeginObject();
        json.Field("a", 1L);
        json.Key("list"); json.BeginArray(); json.Number(-5L); json.String("q\"\\\n\u0001é"); json.BeginObject(); json.EndObject(); json.Null(); json.EndArray();
        json.Key("id"); json.Hex(new byte[] { 0x0f, 0xa0 });
        json.Field("u", ulong.MaxValue);
        json.EndObject();
        Assert.False(json.Overflowed);
        Assert.Equal("{\"a\":1,\"list\":[-5,\"q\\\"\\\\\\n\\u0001?\",{},null],\"id\":\"0fa0\",\"u\":18446744073709551615}", Encoding.ASCII.GetString(buffer, 0, json.Length));

        var small = new JsonWriter(new byte[8]);
        small.BeginObject(); small.Field("long", "value"); small.EndObject();
        Assert.True(small.Overflowed);
        Assert.Equal(8, small.Length);
    }
}
