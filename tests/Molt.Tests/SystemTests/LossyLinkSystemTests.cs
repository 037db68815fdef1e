using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Molt.Net;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Molt.QemuRunner;
using Molt.Tests.Net;
using Molt.Tests.Net.Lossy;
using Molt.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The real guest on a bad link. QEMU's virtio-net is on <c>-netdev stream</c>
/// (a unix socket, so no port is bound at all); on the host end Molt's own
/// stack, compiled for the host, plays the rest of the network (10.0.2.2),
/// and between the two a <see cref="FrameImpairment"/> per direction drops
/// 10%, corrupts 10%, reorders 12% and duplicates 10% of the frames (fixed
/// seeds). The guest has no DHCP there: it boots with
/// <c>ip=10.0.2.15/24 gw=10.0.2.2</c>. Over one keep-alive connection to the
/// KV service, four PUTs and four GETs of 256 KiB values (1 MiB each way;
/// MOLT_LOSSY_KIB=1024 for 4 MiB each way) must
/// arrive intact, within a time bound (no stall), and with the data frames
/// each side sent bounded by a multiple of payload / MSS (no storm).
/// </summary>
[Collection("Network load system tests")] // not at once with the ab test: both load the 2 shared cores
public class LossyLinkSystemTests(ITestOutputHelper output)
{
    private const int Values = 4, Mss = 1460;
    /// <summary>
    /// Each value's size: 256 KiB in make test (1 MiB each way), MOLT_LOSSY_KIB=1024 for the
    /// 4 x 1 MiB run docs/network.md reports. Without SACK or timestamps, at these loss
    /// rates the timer does most of the recovery, so the rate is tens of KiB/s.
    /// </summary>
    private static readonly int ValueSize = (int.TryParse(Environment.GetEnvironmentVariable("MOLT_LOSSY_KIB"), out int kib) && kib is > 0 and <= 1024 ? kib : 256) * 1024;
    private static readonly uint GuestIp = Ip.Make(10, 0, 2, 15), HostIp = Ip.Make(10, 0, 2, 2);
    /// <summary>
    /// No DHCP on this link; the RTO floor of 200 ms (Linux's) instead of RFC 6298's 1 s, and
    /// the backoff capped at 2 s, on both ends: the test's concessions to time. Uncapped, on a
    /// machine loaded by make test, a backoff past 30 s ended the guest's answer (its write
    /// time-out) or 15 s its idle connection.
    /// </summary>
    // kv.request_timeout=60: on this link a body can go silent for more than the default 10 s
    // when a loaded host starves QEMU (seen in CI: 408 after 31.9 s on arm64); the test is about
    // bytes arriving intact and the bounds below, not about the server's patience.
    private const string GuestCommandLine = "ip=10.0.2.15/24 gw=10.0.2.2 net.rto_min=200 net.rto_max=2000 kv.request_timeout=60";
    /// <summary>The whole exchange (8 MiB through the bad link) must finish within this; measured (see docs/network.md) well under it.</summary>
    private static readonly TimeSpan TransferLimit = TimeSpan.FromSeconds(ValueSize > 256 * 1024 ? 900 : 150);
    /// <summary>Data frames a side may send per payload segment of the minimum: 21% of frames are lost or corrupted each way, so about 1.3 is expected; a sender that resends whole windows on every loss goes far beyond.</summary>
    private const double StormFactor = 2.0;

    private sealed class RealClock : INetClock
    {
        private readonly Stopwatch _sw = Stopwatch.StartNew();
        public long NowMicroseconds => _sw.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
    }

    private async Task MovesMebibytesIntactThroughALossyLink(QemuArch arch)
    {
        string path = Path.Combine(Path.GetTempPath(), $"molt-lossy-{Guid.NewGuid():N}.sock"[..40]);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var lines = new List<string>();
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopQemu = new CancellationTokenSource();
        var run = QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.KernelFor(arch, GuestCommandLine),
            CommandLine = GuestCommandLine,
            Nic = QemuNic.Stream(path),
            Timeout = TimeSpan.FromSeconds(300),
        }, line =>
        {
            lock (lines) lines.Add(line);
            if (line.Contains("kv: serving")) serving.TrySetResult();
        }, stopQemu.Token);
        string Log() { lock (lines) return string.Join("\n", lines); }

        QemuStreamLink? link = null;
        NetStack? host = null;
        var stopPoller = false;
        Thread? poller = null;
        try
        {
            // QEMU connects to the listener as it starts.
            var accept = listener.AcceptAsync();
            var first = await Task.WhenAny(accept, run, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(first == accept, first == run ? $"QEMU ended before connecting: {(await run).Describe()}" : "QEMU did not connect to the stream socket within 30 s");

            var toGuest = new FrameImpairment(seed: 11, drop: 0.10, duplicate: 0.10, reorder: 0.12, corrupt: 0.10);
            var toHost = new FrameImpairment(seed: 12, drop: 0.10, duplicate: 0.10, reorder: 0.12, corrupt: 0.10);
            link = new QemuStreamLink(accept.Result, [0x52, 0x54, 0x00, 0xAB, 0xCD, 0x02], toGuest, toHost);
            link.Trace = Environment.GetEnvironmentVariable("MOLT_LOSSY_TRACE") is { Length: > 0 } ? new List<string>() : null;
            NetConfig config = NetConfig.Default();
            config.UseDhcp = false; config.Address = HostIp; config.Netmask = 0xFFFFFF00; config.Gateway = HostIp;
            config.RxBufferSize = 128 * 1024; config.TxBufferSize = 128 * 1024; config.MaxConnections = 4; config.Seed = 99;
            config.MinRtoMicroseconds = 200_000; config.InitialRtoMicroseconds = 200_000;
            // The backoff capped at 2 s on this end: the guest's HTTP session answers 408 and
            // closes when a started request sends nothing for 10 s, and on a busy machine
            // (make test runs several QEMUs) a few losses in a row backed off past that.
            config.MaxRtoMicroseconds = 2_000_000;
            host = new NetStack(link, config, new RealClock());
            NetStack h = host;
            var l = link;
            poller = new Thread(() =>
            {
                while (!Volatile.Read(ref stopPoller))
                {
                    long next = h.PollOnce();
                    long wait = next == 0 ? 2_000 : Math.Clamp(next - h.Now, 0, 2_000);
                    if (wait > 0) l.WaitForFrames(wait);
                }
            }) { IsBackground = true, Name = "host-stack-poller" };
            poller.Start();

            var up = await Task.WhenAny(serving.Task, run, Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.True(up == serving.Task, "the KV service did not start:\n" + Log());

            var sw = Stopwatch.StartNew();
            long minUp = (long)Values * ValueSize / Mss, minDown = minUp;
            string Counters() => $"host sent {l.DataFramesToGuest} data frames ({l.PayloadToGuest} B, minimum {minUp}) of {l.FramesToGuest}, " +
                $"guest sent {l.DataFramesFromGuest} data frames ({l.PayloadFromGuest} B, minimum {minDown}) of {l.FramesFromGuest}; " +
                $"to guest {toGuest}; to host {toHost}; host stack: {h.Counters[NetCounter.TcpRetransmitTimeouts]} RTO, {h.Counters[NetCounter.TcpFastRetransmits]} fast retransmits, {h.Counters[NetCounter.DropBadChecksum]} bad checksums, {h.Counters[NetCounter.TcpResetsReceived]} resets received, {h.Counters[NetCounter.TcpSegmentsOut]} segments out";
            long putMs = 0, getMs = 0;
            try { (putMs, getMs) = await Task.Run(() => Exchange(h, sw)); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"{e.Message} after {sw.Elapsed.TotalSeconds:F1} s\n{Counters()}\n{Log()}"); }
            double seconds = sw.Elapsed.TotalSeconds;
            string report = $"lossy link ({arch.ToName()}): {Values} x {ValueSize / 1024} KiB PUT in {putMs / 1000.0:F1} s, {Values} x {ValueSize / 1024} KiB GET in {getMs / 1000.0:F1} s; " + Counters();
            output.WriteLine(report);
            System.Console.WriteLine(report);

            Assert.True(seconds < TransferLimit.TotalSeconds, $"stalled: {seconds:F0} s > {TransferLimit.TotalSeconds} s\n{report}");
            // The link really was bad in both directions.
            foreach (var imp in new[] { toGuest, toHost })
                Assert.True(imp.Dropped > 0 && imp.Corrupted > 0 && imp.Reordered > 0 && imp.Duplicated > 0, imp.ToString());
            Assert.True(host.Counters[NetCounter.DropBadChecksum] > 0, "corrupted frames reached the host stack's checks");
            // No storm: data frames each way within StormFactor of the minimum.
            Assert.True(link.DataFramesToGuest <= StormFactor * minUp, $"host->guest storm: {report}");
            Assert.True(link.DataFramesFromGuest <= StormFactor * minDown, $"guest->host storm: {report}");
            Assert.True(link.ReaderEnded == null, $"the stream ended: {link.ReaderEnded}");
            lock (lines) Assert.DoesNotContain(lines, l => l.StartsWith("PANIC", StringComparison.Ordinal));
            lock (lines) Assert.DoesNotContain(lines, l => l.Contains("malformed value")); // net.rto_min=200 was taken
        }
        finally
        {
            Volatile.Write(ref stopPoller, true);
            poller?.Join(TimeSpan.FromSeconds(5));
            if (link?.Trace != null) File.WriteAllLines(Environment.GetEnvironmentVariable("MOLT_LOSSY_TRACE")!, link.Trace);
            link?.Dispose();
            stopQemu.Cancel();
            try { await run; } catch (OperationCanceledException) { }
            File.Delete(path);
        }
    }

    /// <summary>Four PUTs then four GETs over one connection, each value checked byte for byte. Returns the milliseconds of each phase.</summary>
    private static (long putMs, long getMs) Exchange(NetStack h, Stopwatch sw)
    {
        TcpSocket c = h.Connect(GuestIp, 8080, 30_000_000, out int err);
        Assert.True(err == 0, $"connect to 10.0.2.15:8080 through the lossy link: error {err}");
        h.SetNoDelay(c, true);
        var values = Enumerable.Range(0, Values).Select(i => { var v = new byte[ValueSize]; new Random(100 + i).NextBytes(v); return v; }).ToArray();
        for (int i = 0; i < Values; i++)
        {
            byte[] head = Encoding.ASCII.GetBytes($"PUT /kv/lossy{i} HTTP/1.1\r\nHost: molt\r\nContent-Length: {ValueSize}\r\n\r\n");
            var (status, _) = Request(h, c, [.. head, .. values[i]]);
            Assert.True(status == 201, $"PUT lossy{i}: status {status}");
        }
        long putMs = sw.ElapsedMilliseconds;
        for (int i = 0; i < Values; i++)
        {
            var (status, body) = Request(h, c, Encoding.ASCII.GetBytes($"GET /kv/lossy{i} HTTP/1.1\r\nHost: molt\r\n\r\n"));
            Assert.True(status == 200, $"GET lossy{i}: status {status}");
            Assert.True(body.AsSpan().SequenceEqual(values[i]), $"GET lossy{i}: {body.Length} bytes, first difference at {FirstDifference(body, values[i])}");
        }
        long getMs = sw.ElapsedMilliseconds - putMs;
        h.Close(c);
        return (putMs, getMs);
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++) if (a[i] != b[i]) return i;
        return n;
    }

    /// <summary>Sends one request and reads one Content-Length response (60 s bound per step).</summary>
    private static (int status, byte[] body) Request(NetStack h, TcpSocket c, byte[] request)
    {
        int w = h.Write(c, request, 60_000_000);
        Assert.True(w == request.Length, $"write: {w} of {request.Length}, state {h.State(c)}");
        var got = new MemoryStream();
        byte[] buf = new byte[64 * 1024];
        while (true)
        {
            int r = h.Read(c, buf, 60_000_000);
            Assert.True(r > 0, $"read: {r} after {got.Length} bytes of the response");
            got.Write(buf, 0, r);
            byte[] all = got.GetBuffer();
            int end = all.AsSpan(0, (int)got.Length).IndexOf("\r\n\r\n"u8);
            if (end < 0) continue;
            string head = Encoding.ASCII.GetString(all, 0, end);
            int status = int.Parse(head.AsSpan(9, 3));
            int length = 0;
            foreach (var line in head.Split("\r\n"))
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line.AsSpan(15).Trim());
            if (got.Length < end + 4 + length) continue;
            Assert.Equal(end + 4 + length, (int)got.Length); // one response, nothing after it
            return (status, all.AsSpan(end + 4, length).ToArray());
        }
    }

    [KernelFact]
    public Task X64_moves_mebibytes_intact_through_a_lossy_link() => MovesMebibytesIntactThroughALossyLink(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_moves_mebibytes_intact_through_a_lossy_link() => MovesMebibytesIntactThroughALossyLink(QemuArch.Arm64);
}
