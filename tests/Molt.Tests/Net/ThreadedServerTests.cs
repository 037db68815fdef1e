using System.Diagnostics;
using System.Text;
using Molt.Net;
using Molt.Net.Http;
using Molt.Net.Kv;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>
/// The blocking sockets API and the HTTP server with real threads on the
/// host: two stacks on a LoopbackDevice pair, each with a polling thread,
/// server workers on their own threads, the test as the client.
/// </summary>
public class ThreadedServerTests
{
    private sealed class RealClock : INetClock
    {
        private readonly Stopwatch _sw = Stopwatch.StartNew();
        public long NowMicroseconds => _sw.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
    }

    [Fact]
    public void Kv_over_blocking_sockets_with_threads()
    {
        LoopbackDevice.Pair(256, out var da, out var db);
        var clock = new RealClock();
        var a = new NetStack(da, StackPair.Config(StackPair.IpA, 64 * 1024, 64 * 1024, 16, 1), clock);
        var b = new NetStack(db, StackPair.Config(StackPair.IpB, 64 * 1024, 64 * 1024, 16, 2), clock);
        bool stop = false;
        var pollers = new[] { a, b }.Select(s => new Thread(() => { while (!Volatile.Read(ref stop)) { s.PollOnce(); Thread.Sleep(0); } })).ToList();
        var server = new HttpServer(b, 8080, 2, 16, 4096, 1 << 20, new KvHandler { Store = new KvTable(256, 1 << 24) });
        Assert.True(server.Listening);
        var workers = Enumerable.Range(0, 2).Select(i => new Thread(() => { while (!server.Stopping) server.ServeOne(i, 50_000); })).ToList();
        pollers.ForEach(t => t.Start()); workers.ForEach(t => t.Start());
        try
        {
            byte[] buf = new byte[1 << 16];
            string Exchange(TcpSocket c, string req)
            {
                byte[] r = Encoding.ASCII.GetBytes(req);
                Assert.Equal(r.Length, a.Write(c, r, 5_000_000));
                var sb = new StringBuilder();
                while (true)
                {
                    int n = a.Read(c, buf, 5_000_000);
                    Assert.True(n > 0, $"read: {n}");
                    sb.Append(Encoding.ASCII.GetString(buf, 0, n));
                    string s = sb.ToString();
                    int end = s.IndexOf("\r\n\r\n");
                    if (end < 0) continue;
                    int cl = int.Parse(s.Substring(s.IndexOf("Content-Length: ") + 16).Split('\r')[0]);
                    if (s.Length >= end + 4 + cl) return s;
                }
            }
            TcpSocket c = a.Connect(StackPair.IpB, 8080, 5_000_000, out int err);
            Assert.Equal(0, err);
            for (int i = 0; i < 100; i++)
            {
                Assert.StartsWith(i == 0 ? "HTTP/1.1 201" : "HTTP/1.1 204", Exchange(c, $"PUT /kv/k HTTP/1.1\r\nHost: h\r\nContent-Length: {i.ToString().Length}\r\n\r\n{i}"));
                Assert.EndsWith($"\r\n\r\n{i}", Exchange(c, "GET /kv/k HTTP/1.1\r\nHost: h\r\n\r\n"));
            }
            a.Close(c);
            for (int i = 0; i < 30; i++)
            {
                TcpSocket k = a.Connect(StackPair.IpB, 8080, 5_000_000, out err);
                Assert.Equal(0, err);
                Assert.StartsWith("HTTP/1.1 200", Exchange(k, "GET /kv/k HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
                Assert.Equal(0, a.Read(k, buf, 5_000_000)); // the server closed after answering
                a.Close(k);
            }
            Assert.Equal(31, server.Connections);
        }
        finally
        {
            server.Stopping = true;
            workers.ForEach(t => t.Join());
            Volatile.Write(ref stop, true);
            pollers.ForEach(t => t.Join());
        }
    }
}
