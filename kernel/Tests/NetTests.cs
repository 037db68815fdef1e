using System;
using Molt.Memory;
using Molt.Net;
using Molt.Net.Http;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The network stack in the kernel: two stack instances, each with its
    /// own network thread, joined by a loopback cable. TCP connect, transfer
    /// both ways and close; the key-value service over HTTP.
    /// </summary>
    internal static unsafe class NetTests
    {
        public static void Register()
        {
            TestRunner.Add("net.wire.checksum", &ChecksumKnown);
            TestRunner.Add("net.loopback.tcp_connect_transfer_close", &TcpOverLoopback);
            TestRunner.Add("net.loopback.http_kv", &HttpKvOverLoopback);
        }

        private static readonly uint IpA = 0x0A00020F, IpB = 0x0A000210;

        private static void ChecksumKnown(TestContext t)
        {
            byte* h = stackalloc byte[20];
            byte[] hex = { 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb1, 0xe6, 0xac, 0x10, 0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c };
            t.True(Checksum.Verify(Checksum.Add(0, hex)), "a captured IPv4 header verifies");
            hex[11] = 0;
            t.Equal(0xe6, Checksum.Finish(Checksum.Add(0, hex)) & 0xFF, "and its checksum is recomputed");
            Heap.Free(hex);
        }

        private static NetConfig Config(uint ip, uint seed)
        {
            NetConfig c = NetConfig.Default();
            c.UseDhcp = false; c.Address = ip; c.Netmask = 0xFFFFFF00; c.Gateway = 0x0A000202;
            c.MaxConnections = 8; c.RxBufferSize = 32 * 1024; c.TxBufferSize = 32 * 1024;
            c.TimeWaitMicroseconds = 100_000; c.Seed = seed; c.KvPort = 0;
            return c;
        }

        private static bool Pair(TestContext t, out LoopbackDevice da, out LoopbackDevice db, out NetStack a, out NetStack b)
        {
            LoopbackDevice.Pair(128, out da, out db);
            a = NetStack.StartInstance(da, Config(IpA, 1));
            b = NetStack.StartInstance(db, Config(IpB, 2));
            return t.True(a != null && b != null, "two stacks with their network threads");
        }

        private static void Teardown(LoopbackDevice da, LoopbackDevice db, NetStack a, NetStack b)
        {
            a.Stop(); b.Stop();
            a.Free(); b.Free();
            Heap.Free(a); Heap.Free(b);
            da.Free(); db.Free(); Heap.Free(da); Heap.Free(db);
        }

        /// <summary>Moves <paramref name="n"/> patterned bytes one way with non-blocking steps; returns how many arrived intact.</summary>
        private static int Pump(NetStack from, TcpSocket fs, NetStack to, TcpSocket ts, int n, byte salt, byte[] chunk, byte[] rx)
        {
            int sent = 0, got = 0, bad = 0;
            long deadline = from.Now + 30_000_000;
            while (got < n && from.Now < deadline)
            {
                if (sent < n)
                {
                    int len = n - sent < chunk.Length ? n - sent : chunk.Length;
                    for (int i = 0; i < len; i++) chunk[i] = (byte)(sent + i + salt);
                    int w = from.Write(fs, new ReadOnlySpan<byte>(chunk, 0, len), 0);
                    if (w > 0) sent += w;
                }
                int r = to.Read(ts, new Span<byte>(rx), sent < n ? 0 : 2_000);
                if (r > 0)
                {
                    for (int i = 0; i < r; i++) if (rx[i] != (byte)(got + i + salt)) bad++;
                    got += r;
                }
                else if (r != TcpError.WouldBlock && r != TcpError.TimedOut) break;
            }
            return bad == 0 ? got : -bad;
        }

        private static void TcpOverLoopback(TestContext t)
        {
            if (!Pair(t, out var da, out var db, out var a, out var b)) return;
            int l = b.Listen(7, 4);
            t.True(l >= 0, "listen on port 7");
            TcpSocket c = a.Connect(IpB, 7, 5_000_000, out int err);
            t.Equal(0, err, "connect error");
            TcpSocket s = b.Accept(l, 5_000_000);
            t.True(c.IsValid && s.IsValid, "connected and accepted");
            t.Equal((long)TcpState.Established, (long)b.State(s), "server state");

            byte[] chunk = new byte[4096], rx = new byte[8192];
            t.Equal(256 * 1024, Pump(a, c, b, s, 256 * 1024, 3, chunk, rx), "256 KiB client to server, intact");
            t.Equal(96 * 1024, Pump(b, s, a, c, 96 * 1024, 7, chunk, rx), "96 KiB server to client, intact");

            a.Close(c);
            int r = b.Read(s, new Span<byte>(rx), 5_000_000);
            t.Equal(0, r, "server reads end of stream after the client's FIN");
            t.Equal((long)TcpState.CloseWait, (long)b.State(s), "server in CLOSE-WAIT");
            b.Close(s);
            long deadline = a.Now + 5_000_000;
            while ((a.Tcp.ActiveCount != 0 || b.Tcp.ActiveCount != 0) && a.Now < deadline) NetPlatform.WaitBriefly();
            t.Equal(0, a.Tcp.ActiveCount, "client block back in the pool after TIME-WAIT");
            t.Equal(0, b.Tcp.ActiveCount, "server block back in the pool");
            t.Equal(0, a.Counters[NetCounter.DropBadChecksum] + b.Counters[NetCounter.DropBadChecksum], "no corrupt frames on the loopback");
            b.Unlisten(l);
            Heap.Free(chunk); Heap.Free(rx);
            Teardown(da, db, a, b);
        }

        // ---- a tiny HTTP client for the KV test

        private static int Ascii(string s, byte[] dst, int at)
        {
            for (int i = 0; i < s.Length; i++) dst[at + i] = (byte)s[i];
            return at + s.Length;
        }

        private static int Number(long v, byte[] dst, int at)
        {
            int digits = 1; for (long x = v; x >= 10; x /= 10) digits++;
            for (int i = digits - 1; i >= 0; i--) { dst[at + i] = (byte)('0' + v % 10); v /= 10; }
            return at + digits;
        }

        /// <summary>Sends a request and reads one response: returns the status, the body length in <paramref name="bodyLength"/> (body at <paramref name="bodyAt"/> in <paramref name="buf"/>).</summary>
        private static int Exchange(NetStack st, TcpSocket s, byte[] req, int reqLength, byte[] buf, out int bodyAt, out int bodyLength)
        {
            bodyAt = 0; bodyLength = -1;
            if (st.Write(s, new ReadOnlySpan<byte>(req, 0, reqLength), 10_000_000) != reqLength) return -1;
            int have = 0;
            long deadline = st.Now + 20_000_000;
            while (st.Now < deadline)
            {
                int r = st.Read(s, new Span<byte>(buf, have, buf.Length - have), 1_000_000);
                if (r > 0) have += r;
                else if (r != TcpError.TimedOut) return -2;
                int end = -1;
                for (int i = 3; i < have; i++) if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') { end = i + 1; break; }
                if (end < 0) continue;
                int status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
                long cl = 0;
                for (int i = 0; i + 16 < end; i++)
                {
                    if (buf[i] != 'C' || buf[i + 8] != 'L' || buf[i + 14] != ':') continue;
                    int j = i + 16;
                    while (j < end && buf[j] >= '0' && buf[j] <= '9') cl = cl * 10 + (buf[j++] - '0');
                    break;
                }
                if (have - end < cl) continue;
                bodyAt = end; bodyLength = (int)cl;
                return status;
            }
            return -3;
        }

        private static void HttpKvOverLoopback(TestContext t)
        {
            if (!Pair(t, out var da, out var db, out var a, out var b)) return;
            HttpServer server = Molt.Services.Kv.KvHttp.Start(b, 8080, 2);
            t.True(server != null && server.Listening, "KV service listening on 8080");
            if (server == null) { Teardown(da, db, a, b); return; }
            TcpSocket c = a.Connect(IpB, 8080, 5_000_000, out int err);
            t.Equal(0, err, "connect to the KV port");
            byte[] req = new byte[160 * 1024], buf = new byte[160 * 1024];

            int n = Ascii("PUT /kv/hello HTTP/1.1\r\nHost: molt\r\nContent-Length: 5\r\n\r\nworld", req, 0);
            t.Equal(201, Exchange(a, c, req, n, buf, out _, out _), "PUT creates");

            n = Ascii("GET /kv/hello HTTP/1.1\r\nHost: molt\r\n\r\n", req, 0);
            t.Equal(200, Exchange(a, c, req, n, buf, out int at, out int len), "GET finds it on the same connection");
            t.True(len == 5 && buf[at] == 'w' && buf[at + 4] == 'd', "GET returns the value");

            // A 128 KiB value, larger than the TCP windows: several windows each way.
            n = Ascii("PUT /kv/big HTTP/1.1\r\nHost: molt\r\nContent-Length: ", req, 0);
            n = Number(128 * 1024, req, n);
            n = Ascii("\r\n\r\n", req, n);
            for (int i = 0; i < 128 * 1024; i++) req[n + i] = (byte)(i * 31 + 1);
            t.Equal(201, Exchange(a, c, req, n + 128 * 1024, buf, out _, out _), "PUT 128 KiB");
            n = Ascii("GET /kv/big HTTP/1.1\r\nHost: molt\r\n\r\n", req, 0);
            t.Equal(200, Exchange(a, c, req, n, buf, out at, out len), "GET 128 KiB");
            bool same = len == 128 * 1024;
            for (int i = 0; i < len && same; i++) same = buf[at + i] == (byte)(i * 31 + 1);
            t.True(same, "128 KiB value intact");

            n = Ascii("DELETE /kv/hello HTTP/1.1\r\nHost: molt\r\n\r\n", req, 0);
            t.Equal(204, Exchange(a, c, req, n, buf, out _, out _), "DELETE");
            n = Ascii("GET /kv/hello HTTP/1.1\r\nHost: molt\r\n\r\n", req, 0);
            t.Equal(404, Exchange(a, c, req, n, buf, out _, out _), "GET after DELETE");
            n = Ascii("PATCH /kv/hello HTTP/1.1\r\nHost: molt\r\n\r\n", req, 0);
            t.Equal(405, Exchange(a, c, req, n, buf, out _, out _), "PATCH is not allowed");
            n = Ascii("PUT /kv/x HTTP/1.1\r\nHost: molt\r\n\r\n", req, 0);
            t.Equal(411, Exchange(a, c, req, n, buf, out _, out _), "PUT without a length");
            a.Close(c);

            server.StopWorkers();
            server.Free();
            Heap.Free(server);
            Heap.Free(req); Heap.Free(buf);
            Teardown(da, db, a, b);
        }
    }
}
