using System;
using Molt.Bench;
using Molt.Console;
using Molt.Memory;
using Molt.Net;
using Molt.Net.Http;
using Molt.Net.Tcp;
using Molt.Smp;

namespace Molt.Services.Bench
{
    /// <summary>
    /// <c>net.kv.*</c>: the KV service's steady state, in the kernel. Two
    /// stack instances, each with its own network thread, on a loopback cable
    /// (no NIC, no QEMU network: what is measured is the stack, the HTTP
    /// server and the store); the real service (<c>KvHttp.Start</c>, 2 workers,
    /// the updatable store) on one, this thread as a keep-alive client on the
    /// other. After <see cref="Warmup"/> requests (PUT and GET of
    /// <c>/kv/bench-alloc</c>, a 64-byte value), <see cref="Requests"/> GETs,
    /// then as many PUTs replacing the value, each answer checked. Rows:
    /// <c>net.kv.allocs_per_get</c> and <c>.allocs_per_put</c>, the heap
    /// allocations of every CPU and thread (all size classes and large blocks)
    /// during the measured requests divided by their count (the network's
    /// goal: zero; a PUT costs one, the store's copy of the value, which
    /// <c>KvTable.Set</c> makes outside its lock and frees the old one for),
    /// and <c>net.kv.loopback_get</c> and <c>.loopback_put</c>, the time of one
    /// request and its answer.
    /// Nothing in the measured loop allocates on this side: the requests are
    /// built once, the answers parsed in place.
    /// </summary>
    internal static unsafe class KvRequestBenches
    {
        public static void Register() => BenchRunner.Add("net.kv", &Run);

        private const int Warmup = 50, Requests = 200, ValueBytes = 64;

        private static NetConfig Config(uint ip, uint seed)
        {
            NetConfig c = NetConfig.Default();
            c.UseDhcp = false; c.Address = ip; c.Netmask = 0xFFFFFF00; c.Gateway = 0x0A000202;
            c.MaxConnections = 8; c.RxBufferSize = 32 * 1024; c.TxBufferSize = 32 * 1024;
            c.TimeWaitMicroseconds = 100_000; c.Seed = seed; c.KvPort = 0;
            return c;
        }

        private static int Ascii(string s, byte[] dst, int at)
        {
            for (int i = 0; i < s.Length; i++) dst[at + i] = (byte)s[i];
            return at + s.Length;
        }

        /// <summary>Sends a request, reads one answer; returns its status (negative: failed) and checks a 64-byte body when <paramref name="expectBody"/>.</summary>
        private static int Exchange(NetStack st, TcpSocket s, byte[] req, int reqLength, byte[] buf, bool expectBody)
        {
            if (st.Write(s, new ReadOnlySpan<byte>(req, 0, reqLength), 5_000_000) != reqLength) return -1;
            int have = 0;
            long deadline = st.Now + 5_000_000;
            while (st.Now < deadline)
            {
                int r = st.Read(s, new Span<byte>(buf, have, buf.Length - have), 1_000_000);
                if (r > 0) have += r;
                else if (r != TcpError.TimedOut) return -2;
                int end = -1;
                for (int i = 3; i < have; i++) if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') { end = i + 1; break; }
                if (end < 0) continue;
                int status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
                if (!expectBody) return status;
                if (have - end < ValueBytes) continue;
                for (int i = 0; i < ValueBytes; i++) if (buf[end + i] != (byte)('a' + i % 26)) return -4;
                return status;
            }
            return -3;
        }

        /// <summary>
        /// Runs <see cref="Requests"/> copies of one request; returns the heap allocations
        /// made meanwhile by every thread, and logs them by size class when there are any.
        /// </summary>
        private static long Measured(NetStack a, TcpSocket c, byte[] req, int length, byte[] buf, bool isGet, out long us, ref int bad)
        {
            long* before = stackalloc long[Heap.ClassCount];
            for (int k = 0; k < Heap.ClassCount; k++) before[k] = Heap.GetStats(k).Allocations;
            long largeBefore = Heap.LargeAllocations;
            long t0 = a.Now;
            for (int i = 0; i < Requests; i++)
                if (Exchange(a, c, req, length, buf, isGet) != (isGet ? 200 : 204)) bad++;
            us = a.Now - t0;
            long total = Heap.LargeAllocations - largeBefore;
            if (total != 0) Log.Info("bench", $"net.kv: {total} large allocations in {Requests} requests");
            for (int k = 0; k < Heap.ClassCount; k++)
            {
                long d = Heap.GetStats(k).Allocations - before[k];
                if (d != 0) Log.Info("bench", $"net.kv: {d} allocations of {Heap.BlockSize(k)}-byte blocks in {Requests} {(isGet ? "GET" : "PUT")} requests");
                total += d;
            }
            return total;
        }

        private static void Run()
        {
            int cpus = Processors.Online;
            LoopbackDevice.Pair(128, out var da, out var db);
            NetStack a = NetStack.StartInstance(da, Config(0x0A00020F, 1));
            NetStack b = NetStack.StartInstance(db, Config(0x0A000210, 2));
            HttpServer server = a != null && b != null ? Kv.KvHttp.Start(b, 8080, 2) : null;
            byte[] put = new byte[256], get = new byte[128], buf = new byte[4096];
            int putLength = Ascii("PUT /kv/bench-alloc HTTP/1.1\r\nHost: molt\r\nContent-Length: 64\r\n\r\n", put, 0);
            for (int i = 0; i < ValueBytes; i++) put[putLength + i] = (byte)('a' + i % 26);
            putLength += ValueBytes;
            int getLength = Ascii("GET /kv/bench-alloc HTTP/1.1\r\nHost: molt\r\n\r\n", get, 0);
            TcpSocket c = default;
            int err = -1;
            if (server != null && server.Listening) c = a.Connect(0x0A000210, 8080, 5_000_000, out err);
            if (err != 0)
            {
                Log.Warn("bench", $"net.kv: no connection to the KV service on the loopback (error {err})");
                BenchRunner.Report("net.kv.allocs_per_get", cpus, "no connection: not measured", -1000, "allocs", 0, 1);
            }
            else
            {
                int bad = 0;
                for (int i = 0; i < Warmup; i++)
                {
                    int st = (i & 1) == 0 ? Exchange(a, c, put, putLength, buf, false) : Exchange(a, c, get, getLength, buf, true);
                    if (st < 200 || st > 204) bad++;
                }
                long getAllocs = Measured(a, c, get, getLength, buf, true, out long getUs, ref bad);
                long putAllocs = Measured(a, c, put, putLength, buf, false, out long putUs, ref bad);
                BenchRunner.Report("net.kv.allocs_per_get", cpus, "keep-alive GET of 64 B over the loopback link, after warm-up (goal: 0)", getAllocs * 1000 / Requests, "allocs", Requests, 1);
                BenchRunner.Report("net.kv.allocs_per_put", cpus, "keep-alive PUT replacing 64 B, after warm-up (goal: 0; written in place)", putAllocs * 1000 / Requests, "allocs", Requests, 1);
                BenchRunner.Report("net.kv.loopback_get", cpus, "keep-alive GET of 64 B over the loopback link", getUs * 1000 / Requests, "us", Requests, 1);
                BenchRunner.Report("net.kv.loopback_put", cpus, "keep-alive PUT of 64 B over the loopback link", putUs * 1000 / Requests, "us", Requests, 1);
                if (bad != 0) Log.Warn("bench", $"net.kv: {bad} requests had a wrong answer");
                a.Close(c);
            }
            if (server != null) { server.StopWorkers(); server.Free(); Heap.Free(server); }
            if (a != null) { a.Stop(); a.Free(); Heap.Free(a); }
            if (b != null) { b.Stop(); b.Free(); Heap.Free(b); }
            da.Free(); db.Free(); Heap.Free(da); Heap.Free(db);
            Heap.Free(put); Heap.Free(get); Heap.Free(buf);
        }
    }
}
