using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Molt.Load;

namespace Molt.LoadBench;

/// <summary>
/// The update-under-load benchmark against a running release kernel (its
/// KV service and its update daemon on host ports):
/// 1. a steady GET/PUT/DELETE load on 3 keep-alive connections, checked
///    against its model of acknowledged writes, for the whole run;
/// 2. SECONDS with no update, then SECONDS (at least 2 rounds) of rounds
///    "push the four examples stacked, roll back to 0", a quarter second of
///    load between updates; each update is a window;
/// 3. the figures: KV rate and p50/p99/max outside the windows and during
///    them and their ratios; the longest pause any connection saw during an
///    update against the kernel's longest blocked call; push-to-commit time
///    per example (client: POST to answer; kernel: total_us);
/// 4. after the load: upload throughput of a 1 MiB POST (a real bundle
///    padded with zeros to 1 MiB: received whole, then refused at parse, so
///    it costs the receive of a 1 MiB bundle without applying anything).
/// Pushes are the examples re-signed for their place in the sequence
/// (BundleSigning.WithPlace), rollbacks signed requests, as in the system test.
/// Prints a table; appends JSON lines to --json. Exits 1 if any request
/// failed or any acknowledged write was lost.
/// </summary>
public static class Program
{
    private static readonly string[] Examples = ["kv-fix-case", "kv-versions", "kv-adapter", "kv-audit"];

    public static int Main(string[] args)
    {
        var o = Options.Parse(args);
        if (o == null)
        {
            Console.Error.WriteLine("usage: molt-loadbench --kv HOST:PORT --daemon HOST:PORT --bundles DIR --key FILE --arch x64|arm64 [--cpus N] [--seconds S] [--json FILE]");
            return 2;
        }
        var daemon = new DaemonClient(o.Daemon, TimeSpan.FromSeconds(60));
        byte[] seed = BundleSigning.ReadSeed(o.Key);
        var bundles = Examples.ToDictionary(e => e, e => File.ReadAllBytes(Path.Combine(o.Bundles, e + ".bundle")));
        var status = WaitForDaemon(daemon);
        ulong sequence = status.LastSequence;
        if (status.Level != 0) { Console.Error.WriteLine($"molt-loadbench: the kernel is at level {status.Level}, not 0"); return 1; }

        var load = KvLoad.Start(new KvLoadOptions { Endpoint = o.Kv, Connections = 3, KeysPerConnection = 32 });
        if (!load.WaitForMore(100, TimeSpan.FromSeconds(30))) { Console.Error.WriteLine("molt-loadbench: the KV load did not get going"); load.Stop(); return 1; }
        Thread.Sleep(TimeSpan.FromSeconds(o.Seconds));

        var pushes = Examples.ToDictionary(e => e, _ => new List<DaemonAnswer>());
        byte[] garbage = new byte[bundles[Examples[0]].Length];
        // At level 0 with a sequence above any this run uses: only the signature is wrong.
        byte[] badSignature = BundleSigning.WithPlace(bundles[Examples[0]], 0, 1_000_000_000, seed);
        badSignature[^1] ^= 1;
        var rollbacks = new List<DaemonAnswer>();
        var phase = Stopwatch.StartNew();
        int rounds = 0;
        string? error = null;
        while (error == null && (rounds < 2 || phase.Elapsed.TotalSeconds < o.Seconds))
        {
            rounds++;
            for (int level = 0; level < Examples.Length && error == null; level++)
            {
                string e = Examples[level];
                byte[] bundle = BundleSigning.WithPlace(bundles[e], (uint)level, ++sequence, seed);
                var a = load.Window("push " + e, () => daemon.Push(bundle));
                if (a.Status != 200) error = $"push {e}: {a}";
                pushes[e].Add(a);
                Thread.Sleep(250);
            }
            if (error != null) break;
            var r = load.Window("rollback", () => daemon.Rollback(0, seed));
            if (r.Status != 200) error = $"rollback to 0: {r}";
            rollbacks.Add(r);
            Thread.Sleep(250);
            // Two refused pushes of the first example's size: received then refused at parse;
            // received, parsed, then refused at signature (verified, nothing linked).
            var p = load.Window("refused at parse (receive)", () => daemon.Push(garbage));
            if (p.Status != 400) error = $"garbage push: {p}";
            Thread.Sleep(250);
            var v = load.Window("refused at signature (verify)", () => daemon.Push(badSignature));
            if (v.Status != 403) error = $"bad-signature push: {v}";
            Thread.Sleep(250);
            // The same bytes PUT to the KV service on a fourth connection: the network's share, with no daemon involved.
            var k = load.Window("kv PUT of as many bytes", () =>
            {
                using var c = HttpConnection.Open(o.Kv, TimeSpan.FromSeconds(30));
                return c.Send("PUT", "/kv/loadbench-upload", garbage, "Connection: close\r\n").Status;
            });
            if (k is not (201 or 204)) error = $"kv PUT of {garbage.Length} bytes: {k}";
            Thread.Sleep(250);
            // A small daemon request: GET /status (no upload, no log line).
            load.Window(ControlLabel, () => daemon.Status());
            Thread.Sleep(250);
        }
        Thread.Sleep(500);
        var report = load.Stop();
        if (error != null) { Console.Error.WriteLine("molt-loadbench: " + error); return 1; }

        var upload = UploadMiB(daemon, bundles[Examples[0]]);
        var rows = Rows(o, report, pushes, rollbacks, rounds, upload);
        foreach (var (line, _) in rows) Console.WriteLine(line);
        if (o.Json != null) File.AppendAllLines(o.Json, rows.Select(r => r.Json));
        bool clean = report.Failed == 0 && report.Wrong == 0 && report.LostWrites.Count == 0 && report.ReadBackFailures.Count == 0;
        if (!clean) Console.Error.WriteLine("molt-loadbench: requests failed or writes were lost:\n" + report.Problems());
        return clean ? 0 : 1;
    }

    private const string ControlLabel = "daemon GET /status";

    private static bool IsUpdate(string label) => label.StartsWith("push ", StringComparison.Ordinal) || label == "rollback";

    private static DaemonStatus WaitForDaemon(DaemonClient daemon)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try { return daemon.Status(); }
            catch (HttpFailure) when (sw.Elapsed < TimeSpan.FromSeconds(60)) { Thread.Sleep(500); }
        }
    }

    /// <summary>Three 1 MiB POSTs (a bundle padded with zeros, refused at parse after the whole upload): client seconds each.</summary>
    private static List<double> UploadMiB(DaemonClient daemon, byte[] bundle)
    {
        byte[] body = new byte[1 << 20];
        bundle.CopyTo(body, 0);
        var seconds = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            var a = daemon.Push(body);
            if (a.Status != 400 || a.Step != "parse") throw new InvalidOperationException($"the 1 MiB upload was not refused at parse: {a}");
            seconds.Add(a.Elapsed.TotalSeconds);
        }
        return seconds;
    }

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length == 0 ? 0 : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string F(double v, int digits = 2) => v.ToString("F" + digits, CultureInfo.InvariantCulture);

    private static List<(string Line, string Json)> Rows(Options o, KvLoadReport all, Dictionary<string, List<DaemonAnswer>> pushes,
        List<DaemonAnswer> rollbacks, int rounds, List<double> upload)
    {
        // The updates only: the refused pushes' windows (diagnostic: what a push costs the service before it changes anything) count as outside.
        var report = all.OnlyWindows(IsUpdate);
        var rows = new List<(string, string)>();
        string Json(object fields) => JsonSerializer.Serialize(fields);
        var outside = report.Outside;
        var during = report.During;
        double rateRatio = outside.RatePerSecond > 0 ? during.RatePerSecond / outside.RatePerSecond : 0;
        double p99Ratio = outside.P99Us > 0 ? during.P99Us / outside.P99Us : 0;
        rows.Add(($"update   outside  {outside}", Json(new { bench = "net.update.kv.outside", arch = o.Arch, cpus = o.Cpus, connections = 3, requests = outside.Requests, seconds = Math.Round(outside.Seconds, 3), requests_per_second = Math.Round(outside.RatePerSecond), p50_ms = Math.Round(outside.P50Us / 1000, 3), p99_ms = Math.Round(outside.P99Us / 1000, 3), max_ms = Math.Round(outside.MaxUs / 1000, 3), failed = outside.Failed })));
        rows.Add(($"update   during   {during}", Json(new { bench = "net.update.kv.during", arch = o.Arch, cpus = o.Cpus, connections = 3, updates = report.Windows.Count, requests = during.Requests, seconds = Math.Round(during.Seconds, 3), requests_per_second = Math.Round(during.RatePerSecond), p50_ms = Math.Round(during.P50Us / 1000, 3), p99_ms = Math.Round(during.P99Us / 1000, 3), max_ms = Math.Round(during.MaxUs / 1000, 3), failed = during.Failed })));
        foreach (string label in all.Windows.Select(w => w.Label).Distinct())
        {
            var one = all.OnlyWindows(l => l == label).During;
            rows.Add(($"update   during   {label,-26} {one}", Json(new { bench = "net.update.kv.during_one", arch = o.Arch, cpus = o.Cpus, window = label, requests = one.Requests, requests_per_second = Math.Round(one.RatePerSecond), rate_over_outside = Math.Round(outside.RatePerSecond > 0 ? one.RatePerSecond / outside.RatePerSecond : 0, 3), p99_ms = Math.Round(one.P99Us / 1000, 3) })));
        }
        // The control: windows of a trivial daemon request (GET /status), measured the same way.
        var control = all.OnlyWindows(l => l == ControlLabel).During;
        double controlRatio = outside.RatePerSecond > 0 ? control.RatePerSecond / outside.RatePerSecond : 0;
        rows.Add(($"update   ratio    during/outside: rate {F(rateRatio)}x (target >= 0.9), p99 {F(p99Ratio)}x (target <= 2); control (GET /status windows) rate {F(controlRatio)}x; {report.Failed} failed, {report.Wrong} wrong, {report.LostWrites.Count} lost of {report.KeysReadBack} keys read back",
            Json(new { bench = "net.update.kv.ratio", arch = o.Arch, cpus = o.Cpus, rate_during_over_outside = Math.Round(rateRatio, 3), p99_during_over_outside = Math.Round(p99Ratio, 3), control_rate_over_outside = Math.Round(controlRatio, 3), failed = report.Failed, wrong = report.Wrong, lost_writes = report.LostWrites.Count, keys_read_back = report.KeysReadBack })));

        long kernelBlocked = pushes.Values.SelectMany(l => l).Select(a => a.Timing("max_blocked"))
            .Concat(rollbacks.Select(r => r.Json.TryGetProperty("max_blocked_us", out var v) ? v.GetInt64() : 0)).DefaultIfEmpty(0).Max();
        var gap = report.LongestGapDuringWindows;
        var calm = report.LongestGapOutsideWindows;
        rows.Add(($"update   pause    longest client pause during an update {F(gap.Microseconds / 1000)} ms (outside updates {F(calm.Microseconds / 1000)} ms); kernel's longest blocked call {F(kernelBlocked / 1000.0)} ms",
            Json(new { bench = "net.update.pause", arch = o.Arch, cpus = o.Cpus, longest_client_pause_ms = Math.Round(gap.Microseconds / 1000, 3), longest_client_pause_outside_ms = Math.Round(calm.Microseconds / 1000, 3), kernel_max_blocked_ms = Math.Round(kernelBlocked / 1000.0, 3), updates = report.Windows.Count, rounds })));

        foreach (var (name, list) in pushes)
        {
            double client = Median(list.Select(a => a.Elapsed.TotalMilliseconds));
            double kernel = Median(list.Select(a => a.Timing("total") / 1000.0));
            double receive = Median(list.Select(a => a.Timing("receive") / 1000.0));
            double swap = Median(list.Select(a => a.Timing("swap") / 1000.0));
            int bytes = list.Count > 0 ? list[0].Json.GetProperty("bytes").GetInt32() : 0;
            rows.Add(($"update   push     {name,-12} push-to-commit {F(client, 1)} ms (kernel total {F(kernel, 1)} ms: receive {F(receive, 1)}, swap {F(swap, 1)}), {bytes} bytes, median of {list.Count}",
                Json(new { bench = "net.update.push", arch = o.Arch, cpus = o.Cpus, patch = name, pushes = list.Count, bytes, push_to_commit_ms = Math.Round(client, 2), kernel_total_ms = Math.Round(kernel, 2), kernel_receive_ms = Math.Round(receive, 2), kernel_swap_ms = Math.Round(swap, 2) })));
        }
        double rb = Median(rollbacks.Select(r => r.Elapsed.TotalMilliseconds));
        rows.Add(($"update   rollback 4 levels to 0: {F(rb, 1)} ms, median of {rollbacks.Count}",
            Json(new { bench = "net.update.rollback", arch = o.Arch, cpus = o.Cpus, levels = 4, rollbacks = rollbacks.Count, client_ms = Math.Round(rb, 2) })));

        double best = upload.Min(), median = Median(upload);
        rows.Add(($"update   upload   1 MiB POST (received whole, refused at parse): {F(1 / median)} MiB/s median, {F(1 / best)} MiB/s best of {upload.Count}",
            Json(new { bench = "net.update.upload", arch = o.Arch, cpus = o.Cpus, bytes = 1 << 20, measured = "1 MiB POST to /patches, refused at parse after the whole upload", mib_per_s_median = Math.Round(1 / median, 3), mib_per_s_best = Math.Round(1 / best, 3) })));
        return rows;
    }

    private sealed record Options(IPEndPoint Kv, IPEndPoint Daemon, string Bundles, string Key, string Arch, int Cpus, double Seconds, string? Json)
    {
        public static Options? Parse(string[] args)
        {
            var d = new Dictionary<string, string>();
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--")) return null;
                d[args[i][2..]] = args[i + 1];
            }
            if (args.Length % 2 != 0 || !d.ContainsKey("kv") || !d.ContainsKey("daemon") || !d.ContainsKey("bundles") || !d.ContainsKey("key") || !d.ContainsKey("arch")) return null;
            return new Options(IPEndPoint.Parse(d["kv"]), IPEndPoint.Parse(d["daemon"]), d["bundles"], d["key"], d["arch"],
                d.TryGetValue("cpus", out var c) ? int.Parse(c) : 1, d.TryGetValue("seconds", out var s) ? double.Parse(s, CultureInfo.InvariantCulture) : 5,
                d.GetValueOrDefault("json"));
        }
    }
}
