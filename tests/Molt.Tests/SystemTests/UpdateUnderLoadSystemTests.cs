using System.Net;
using Molt.Load;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Update under load (issue 12), on the release kernel of each arch with
/// the KV service and the update daemon forwarded to host ports:
/// - 20 pushes and rollbacks of the four examples, stacked and unstacked,
///   while the load generator (tests/Molt.Tests/Load) runs a GET/PUT/DELETE
///   mix on three keep-alive connections: no failed request, no answer
///   against the acknowledged writes, nothing lost at read-back, and the
///   service's behaviour and /status's classes follow every commit and rollback.
/// - Every refusal, sent over the network while a read-only load runs:
///   its 4xx and reason; truncated, dropped and concurrent uploads, an
///   oversized and an empty one: nothing applied, the heap's bytes in use
///   back where they were.
/// Sequences only grow, so a bundle that was rolled back cannot be pushed
/// again as it is: each push sends the example re-signed with the next
/// sequence and the current level as its base (BundleSigning.WithPlace;
/// the object is the one `molt patch build --kernel release` made).
/// Rollbacks are signed here too, for exactly the state /status shows, as
/// `molt rollback` does.
/// </summary>
public class UpdateUnderLoadSystemTests(ITestOutputHelper output)
{
    private const string Fix = "kv-fix-case", Versions = "kv-versions", Adapter = "kv-adapter", Audit = "kv-audit";

    /// <summary>One step of the cycle: push an example onto the current level, or roll back to a level.</summary>
    private sealed record Step(string? Push, int RollbackTo = -1)
    {
        public override string ToString() => Push != null ? "push " + Push : "rollback to " + RollbackTo;
    }

    private static Step P(string name) => new(name);
    private static Step R(int level) => new(null, level);

    /// <summary>
    /// 12 pushes and 8 rollbacks: each example alone on what it needs
    /// (kv-fix-case and kv-audit straight on level 0, kv-versions on the fix,
    /// kv-adapter on kv-versions), all four stacked, kv-audit at every level,
    /// and rollbacks of one, two and three levels at once.
    /// </summary>
    private static readonly Step[] Cycle =
    [
        P(Fix), R(0), P(Audit), R(0),
        P(Fix), P(Versions), R(1), P(Versions), P(Adapter), R(2), P(Adapter), P(Audit),
        R(3), P(Audit), R(2), P(Audit), R(0), P(Fix), P(Audit), R(0),
    ];

    [KernelFact]
    public Task X64_twenty_pushes_and_rollbacks_under_load_lose_nothing() => PushesAndRollbacks(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_twenty_pushes_and_rollbacks_under_load_lose_nothing() => PushesAndRollbacks(QemuArch.Arm64);

    [KernelFact]
    public Task X64_refusals_over_the_network_change_nothing_and_hold_no_memory() => Refusals(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_refusals_over_the_network_change_nothing_and_hold_no_memory() => Refusals(QemuArch.Arm64);

    private static IPEndPoint At(int port) => new(IPAddress.Loopback, port);

    private async Task PushesAndRollbacks(QemuArch arch)
    {
        var bundles = ExampleBundles.For(arch, "release");
        byte[] seed = BundleSigning.TreeSeed(Repo.Root);
        await using var kernel = await RunningKernel.BootAsync(arch);
        var daemon = new DaemonClient(At(kernel.UpdatePort));
        var kv = At(kernel.KvPort);
        var load = KvLoad.Start(new KvLoadOptions { Endpoint = kv, Connections = 3, KeysPerConnection = 32 });
        KvLoadReport? report = null;
        try
        {
            Assert.True(load.WaitForMore(150, TimeSpan.FromSeconds(60)), "the load did not get going:\n" + kernel.Log);
            var stack = new List<string>();
            ulong sequence = daemon.Status().LastSequence;
            CheckBehaviour(kv, daemon, stack, "at boot", kernel);
            int step = 0;
            foreach (var s in Cycle)
            {
                step++;
                DaemonAnswer a;
                if (s.Push != null)
                {
                    byte[] bundle = BundleSigning.WithPlace(bundles[s.Push], (uint)stack.Count, ++sequence, seed);
                    a = load.Window(s.ToString(), () => daemon.Push(bundle));
                    Assert.True(a.Status == 200 && a.Outcome == "applied", $"step {step}, {s}: {a}\n{kernel.Log}");
                    stack.Add(s.Push);
                    output.WriteLine($"{step,2} {s,-24} level {stack.Count}: total {a.Timing("total")} us (receive {a.Timing("receive")}, verify {a.Timing("verify")}, link {a.Timing("link")}, swap {a.Timing("swap")}), longest blocked call {a.Timing("max_blocked")} us; client {a.Elapsed.TotalMilliseconds:F0} ms");
                }
                else
                {
                    a = load.Window(s.ToString(), () => daemon.Rollback(s.RollbackTo, seed));
                    Assert.True(a.Status == 200 && a.Outcome == "rolled_back", $"step {step}, {s}: {a}\n{kernel.Log}");
                    stack.RemoveRange(s.RollbackTo, stack.Count - s.RollbackTo);
                    output.WriteLine($"{step,2} {s,-24} level {stack.Count}: total {a.Json.GetProperty("total_us")} us, longest blocked call {a.Json.GetProperty("max_blocked_us")} us; client {a.Elapsed.TotalMilliseconds:F0} ms");
                }
                Assert.Equal(stack.Count, a.Json.GetProperty("level").GetInt32());
                CheckBehaviour(kv, daemon, stack, $"after step {step} ({s})", kernel);
                // Some load at every level, not only during the swaps.
                Assert.True(load.WaitForMore(40, TimeSpan.FromSeconds(30)), $"the load stalled after step {step}:\n{kernel.Log}");
            }
        }
        finally
        {
            report = load.Stop();
        }
        output.WriteLine(report.ToString());
        Assert.True(report.Failed == 0 && report.Wrong == 0, $"{report}\n{report.Problems()}\n{kernel.Log}");
        Assert.True(report.LostWrites.Count == 0 && report.ReadBackFailures.Count == 0, $"{report}\n{report.Problems()}");
        Assert.Equal(96, report.KeysReadBack);
        Assert.Equal(Cycle.Length, report.Windows.Count);
        Assert.True(report.During.Requests > 0, "no request overlapped an update: the test did not test\n" + report);
    }

    /// <summary>
    /// What the service and /status must show for <paramref name="stack"/>:
    /// v1 folds keys to lower case until kv-fix-case is applied (probed with a
    /// fresh key: PUT "CaseN…", GET "casen…"); the kv class's version (1, and
    /// one more per kv patch); the kv-audit class exactly while kv-audit is applied.
    /// </summary>
    private static void CheckBehaviour(IPEndPoint kv, DaemonClient daemon, List<string> stack, string when, RunningKernel kernel)
    {
        var status = daemon.Status();
        Assert.True(status.Busy == null, $"{when}: busy '{status.Busy}'");
        Assert.Equal(stack, status.Patches);
        int kvVersion = 1 + stack.Count(n => n != Audit);
        var classes = status.Classes;
        Assert.True(classes.TryGetValue("kv", out int v) && v == kvVersion, $"{when}: expected kv version {kvVersion} in {status}");
        Assert.Equal(stack.Contains(Audit), classes.ContainsKey("kv-audit"));

        string probe = "Case" + Guid.NewGuid().ToString("N")[..8];
        using var c = HttpConnection.Open(kv, TimeSpan.FromSeconds(10));
        var put = c.Send("PUT", "/kv/" + probe, "upper"u8);
        Assert.True(put.Status is 201, $"{when}: PUT {probe}: {put.Status} {put.Text}");
        var get = c.Send("GET", "/kv/" + probe.ToLowerInvariant());
        bool folds = kvVersion == 1;
        Assert.True(folds ? get.Status == 200 && get.Text == "upper" : get.Status == 404,
            $"{when}: kv v{kvVersion} should {(folds ? "" : "not ")}fold keys, but GET {probe.ToLowerInvariant()} answered {get.Status} '{get.Text}'\n{kernel.Log}");
        Assert.Equal(204, c.Send("DELETE", "/kv/" + probe, default, "Connection: close\r\n").Status);
    }

    private async Task Refusals(QemuArch arch)
    {
        byte[] fix = ExampleBundles.For(arch, "release")[Fix];
        byte[] seed = BundleSigning.TreeSeed(Repo.Root);
        await using var kernel = await RunningKernel.BootAsync(arch);
        var daemon = new DaemonClient(At(kernel.UpdatePort), TimeSpan.FromSeconds(30));
        var before = daemon.Status();
        Assert.Equal(0, before.Level);
        // Each case is refused at its own step only if everything else is right: level 0, a fresh sequence.
        byte[] good = BundleSigning.WithPlace(fix, 0, before.LastSequence + 1, seed);
        // A read-only load after each connection stored its keys: the heap's bytes in use then move only with the daemon.
        var load = KvLoad.Start(new KvLoadOptions { Endpoint = At(kernel.KvPort), Connections = 3, KeysPerConnection = 16, Populate = true, GetPercent = 100, PutPercent = 0 });
        KvLoadReport report;
        try
        {
            // Every key stored first (a PUT after the heap's baseline would move it), then some reads.
            Assert.True(load.WaitForPopulated(TimeSpan.FromSeconds(60)) && load.WaitForMore(60, TimeSpan.FromSeconds(60)), "the load did not get going:\n" + kernel.Log);
            long heap = daemon.Status().HeapBytesInUse;

            // Every bad bundle: its status (the step's, docs/update-daemon.md), its step and its reason.
            foreach (var c in RefusalBundles.Cases(good))
            {
                var a = daemon.Push(c.Bytes);
                int expected = a.Step switch { "parse" => 400, "signature" => 403, "policy" => 409, "link" or "init" or "match" or "swap" => 422, _ => -1 };
                Assert.True(a.Status == expected && a.Outcome == "refused", $"{c.Name}: {a}");
                Assert.True(a.Described.Contains(c.Expect), $"{c.Name}: expected '{c.Expect}' in '{a.Described}'");
                output.WriteLine($"{c.Name,-24} {a.Status} {a.Described}");
                Unchanged(daemon, before, c.Name);
            }

            // A 1 MiB body (the bundle padded with zeros) is received whole, then refused at parse:
            // in well under 5 s (0.1-0.2 s under TCG; a lost socket wake-up once made it 15 s).
            byte[] mib = new byte[1 << 20];
            good.CopyTo(mib, 0);
            var large = daemon.Push(mib);
            Assert.True(large.Status == 400 && large.Step == "parse", $"1 MiB upload: {large}");
            Assert.True(large.Elapsed < TimeSpan.FromSeconds(5), $"a 1 MiB upload took {large.Elapsed.TotalSeconds:F1} s");
            output.WriteLine($"{"1 MiB upload",-24} {large.Status} in {large.Elapsed.TotalMilliseconds:F0} ms: {large.Described}");
            Unchanged(daemon, before, "1 MiB upload");

            // HTTP-level refusals: an empty body (400), more than update.max_bundle (413, before a byte of body is sent).
            var empty = daemon.Send("POST", "/patches", default);
            Assert.True(empty.Status == 400 && empty.Step == "http", $"empty: {empty}");
            output.WriteLine($"{"empty body",-24} {empty.Status} {empty.Described}");
            Unchanged(daemon, before, "empty body");
            using (var big = HttpConnection.Open(daemon.Endpoint, daemon.Timeout))
            {
                big.Write("POST /patches HTTP/1.1\r\nHost: molt\r\nContent-Length: 5242880\r\nExpect: 100-continue\r\n\r\n"u8);
                var a = DaemonClient.Parse(big.ReadAnswer(), TimeSpan.Zero);
                // 413 before a byte of the body, as the daemon's JSON refusal (step http).
                Assert.True(a.Status == 413 && a.Outcome == "refused" && a.Step == "http", $"oversized: {a}");
                output.WriteLine($"{"oversized upload",-24} {a.Status} {a.Described}");
            }
            Unchanged(daemon, before, "oversized upload");

            // A truncated upload holds the slot: a second push is refused (409) naming it, then the first times out (408).
            int half = good.Length / 2;
            using (var slow = HttpConnection.Open(daemon.Endpoint, TimeSpan.FromSeconds(30)))
            {
                slow.Write(System.Text.Encoding.ASCII.GetBytes($"POST /patches HTTP/1.1\r\nHost: molt\r\nContent-Length: {good.Length}\r\n\r\n"));
                slow.Write(good.AsSpan(0, half));
                // The slot is held from the head on; the name shows once the body's first bytes are in.
                string busy = WaitForBusy(daemon, Fix);
                Assert.Contains("receiving", busy);
                var second = daemon.Push(good);
                Assert.True(second.Status == 409 && second.Step == "busy" && second.Reason.Contains(Fix), $"concurrent push: {second}");
                output.WriteLine($"{"concurrent push",-24} {second.Status} {second.Reason}");
                var timedOut = DaemonClient.Parse(slow.ReadAnswer(), TimeSpan.Zero);
                Assert.True(timedOut.Status == 408 && timedOut.Outcome == "refused" && timedOut.Step == "http", $"truncated upload: {timedOut}");
                output.WriteLine($"{"truncated upload",-24} {timedOut.Status} {timedOut.Described}");
            }
            Unchanged(daemon, before, "truncated upload");

            // A client that vanishes mid-upload: with a reset, and with a close (FIN).
            foreach (bool reset in new[] { true, false })
            {
                var gone = HttpConnection.Open(daemon.Endpoint, TimeSpan.FromSeconds(30));
                gone.Write(System.Text.Encoding.ASCII.GetBytes($"POST /patches HTTP/1.1\r\nHost: molt\r\nContent-Length: {good.Length}\r\n\r\n"));
                gone.Write(good.AsSpan(0, half));
                WaitForBusy(daemon, "receiving");
                if (reset) gone.Abort(); else gone.Dispose();
                WaitForIdle(daemon, reset ? "reset" : "close");
                Unchanged(daemon, before, reset ? "dropped upload (reset)" : "dropped upload (close)");
            }

            // The time-out and the two dropped uploads, each logged by the daemon as abandoned.
            int abandoned = kernel.Log.Split('\n').Count(l => l.Contains($"POST /patches: upload abandoned after") && l.Contains($"of {good.Length} bytes; nothing applied"));
            Assert.True(abandoned == 3, $"expected 3 abandoned uploads in the log, found {abandoned}:\n{kernel.Log}");

            var after = daemon.Status();
            output.WriteLine($"heap_bytes_in_use: {heap} before, {after.HeapBytesInUse} after");
            Assert.True(after.HeapBytesInUse == heap, $"the heap's bytes in use moved from {heap} to {after.HeapBytesInUse}: something was kept");

            // And the kernel still takes the good bundle.
            var applied = daemon.Push(good);
            Assert.True(applied.Status == 200 && applied.Json.GetProperty("level").GetInt32() == 1, $"good bundle after the refusals: {applied}");
        }
        finally
        {
            report = load.Stop();
        }
        output.WriteLine(report.ToString());
        Assert.True(report.Failed == 0 && report.Wrong == 0 && report.LostWrites.Count == 0 && report.ReadBackFailures.Count == 0, $"{report}\n{report.Problems()}");
    }

    /// <summary>Nothing applied: the level and the last sequence are as they were, and no update is running.</summary>
    private static void Unchanged(DaemonClient daemon, DaemonStatus before, string what)
    {
        var now = daemon.Status();
        Assert.True(now.Level == before.Level && now.LastSequence == before.LastSequence && now.Patches.Count == before.Patches.Count,
            $"{what}: the kernel changed: level {before.Level} -> {now.Level}, last sequence {before.LastSequence} -> {now.LastSequence}");
        Assert.True(now.Busy == null, $"{what}: still busy: {now.Busy}");
    }

    /// <summary>Polls /status until the daemon reports an update whose description contains <paramref name="word"/>; returns it.</summary>
    private static string WaitForBusy(DaemonClient daemon, string word)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < until)
        {
            string? busy = daemon.Status().Busy;
            if (busy != null && busy.Contains(word)) return busy;
            Thread.Sleep(20);
        }
        throw new Xunit.Sdk.XunitException($"the daemon never reported an update '{word}'");
    }

    /// <summary>Polls /status until no update runs (an abandoned upload is released when the daemon sees the connection go).</summary>
    private static void WaitForIdle(DaemonClient daemon, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < until)
        {
            if (daemon.Status().Busy == null) return;
            Thread.Sleep(50);
        }
        throw new Xunit.Sdk.XunitException($"after a {what} mid-upload the daemon is still busy: {daemon.Status().Busy}");
    }
}
