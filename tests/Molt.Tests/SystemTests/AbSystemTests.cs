using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Molt.Tests.SystemTests;

/// <summary>
/// <c>ab -n 5000 -c 50</c> (Debian apache2-utils) against the guest's KV
/// service through <c>hostfwd=tcp:127.0.0.1:PORT-:8080</c> on a restricted
/// user network: 5,000 short connections (ab speaks HTTP/1.0 without
/// keep-alive), 50 at a time, more than the 64 control blocks many times
/// over. Every request completes, no hang (ab's own 60 s socket time-out and a bound on the whole
/// run), and the kernel still answers afterwards. The bug it guards
/// against: accept hanging, or TIME-WAIT and half-closed blocks exhausting
/// the pool, after a few hundred to a few thousand connections (network.md).
///
/// Not zero but bounded (2%, and never a refused connection): ab's "Length"
/// failures (answers of 0 bytes) and, when the machine is loaded (make test),
/// a few "Receive"/"Exceptions" (connection reset). QEMU's
/// user network listens on the forwarded port with a backlog of 1
/// (<c>ss -ltn</c> shows it), so 50 clients overflow it (hundreds of
/// TcpExtListenOverflows per run) and the host's TCP retries; on a few
/// connections the user network then opens the guest-side connection
/// (SYN, SYN-ACK, ACK in a capture) but never forwards the request, and the
/// guest finally closes that idle connection, which ab counts as a
/// 0-byte answer. Every request that reached the guest was answered.
/// ab runs with -r: a receive error is counted (and fails the test) rather than ending the run.
/// Fails, saying so, when ab is not installed (image/deps.sh installs it).
/// </summary>
[Collection("Network load system tests")] // not at once with the lossy-link test: both load the 2 shared cores
public class AbSystemTests(ITestOutputHelper output)
{
    private const int Requests = 5000, Concurrency = 50;
    /// <summary>Failures QEMU's user network causes (see above): at most 2% (make test on a loaded machine saw 55 and 81).</summary>
    private const int MaxFailures = Requests / 50;
    /// <summary>Measured alone (docs/network.md): 9-30 s on x64, about 32 s on arm64 under TCG; far more when the shared cores are busy.</summary>
    private static readonly TimeSpan AbLimit = TimeSpan.FromSeconds(300);

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    private async Task AbAgainstTheKv(QemuArch arch)
    {
        Assert.True(File.Exists("/usr/bin/ab"), "ab is not installed: image/deps.sh installs apache2-utils");
        int port = FreePort();
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        using var stop = new CancellationTokenSource();
        var run = QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.KernelElf(arch),
            CommandLine = "",
            Nic = QemuNic.UserRestricted(new QemuPortForward(port, 8080)),
            Timeout = TimeSpan.FromSeconds(300),
        }, line =>
        {
            lock (lines) lines.Add(line);
            if (line.Contains("kv: serving")) serving.TrySetResult();
        }, stop.Token);
        string Log() { lock (lines) return string.Join("\n", lines); }
        try
        {
            var first = await Task.WhenAny(serving.Task, run, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(first == serving.Task, "the KV service did not start:\n" + Log());
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(20) };
            HttpResponseMessage? put = null;
            for (int attempt = 0; attempt < 20 && put == null; attempt++)
            {
                try { put = await http.PutAsync("kv/ab", new StringContent("molt under ab")); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { await Task.Delay(500); }
            }
            Assert.Equal(HttpStatusCode.Created, put?.StatusCode);

            // One retry, only for ab's own 60 s socket time-out: QEMU's user network (listen backlog 1)
            // sometimes accepts a client and never forwards its request (docs/network.md, "ab"); the
            // guest must still answer, and everything else below stays strict.
            var sw = Stopwatch.StartNew();
            int exitCode = 0;
            string text = "", errors = "";
            for (int attempt = 1; attempt <= 2; attempt++)
            {
                var psi = new ProcessStartInfo("ab", $"-n {Requests} -c {Concurrency} -s 60 -r http://127.0.0.1:{port}/kv/ab")
                { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var ab = Process.Start(psi)!;
                var stdout = ab.StandardOutput.ReadToEndAsync();
                var stderr = ab.StandardError.ReadToEndAsync();
                using (var limit = new CancellationTokenSource(AbLimit))
                {
                    try { await ab.WaitForExitAsync(limit.Token); }
                    catch (OperationCanceledException)
                    {
                        ab.Kill();
                        string progress = string.Join(" ", (await stdout).Split('\n').Where(l => l.StartsWith("Completed")).TakeLast(2));
                        Assert.Fail($"ab did not finish within {AbLimit.TotalSeconds} s (a hang): {progress}\n{Log()}");
                    }
                }
                exitCode = ab.ExitCode; text = await stdout; errors = await stderr;
                if (exitCode == 0 || attempt == 2 || !errors.Contains("apr_pollset_poll: The timeout specified has expired")) break;
                Assert.Equal("molt under ab", await http.GetStringAsync("kv/ab")); // the guest still answers
                output.WriteLine($"ab timed out on a socket (attempt 1): {errors.Trim()}; running it again");
            }
            string report = $"ab -n {Requests} -c {Concurrency} ({arch.ToName()}): {sw.Elapsed.TotalSeconds:F1} s; " +
                string.Join("; ", text.Split('\n').Where(l => Regex.IsMatch(l, @"^(Complete requests|Failed requests|   \(Connect|Non-2xx|Requests per second|Time per request)")).Select(l => Regex.Replace(l.Trim(), @"\s+", " ")));
            output.WriteLine(report);
            System.Console.WriteLine(report);
            string GuestWarnings() { lock (lines) return string.Join("\n", lines.Where(l => l.Contains("warning"))); }
            Assert.True(exitCode == 0, $"ab exited with {exitCode}: {errors}\n{text}\nguest warnings:\n{GuestWarnings()}");
            Assert.Matches(new Regex($@"Complete requests:\s+{Requests}\b"), text);
            var failed = Regex.Match(text, @"Failed requests:\s+(\d+)(?:\s+\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\))?");
            Assert.True(failed.Success, text);
            int total = int.Parse(failed.Groups[1].Value), length = failed.Groups[4].Success ? int.Parse(failed.Groups[4].Value) : 0;
            int connect = failed.Groups[2].Success ? int.Parse(failed.Groups[2].Value) : 0;
            Assert.True(connect == 0, $"connections refused: {failed.Value}\nguest warnings:\n{GuestWarnings()}");
            Assert.True(total <= MaxFailures, $"{total} failed requests (more than {MaxFailures}): {failed.Value}\nguest warnings:\n{GuestWarnings()}");
            Assert.DoesNotContain("Non-2xx responses", text);
            // The kernel still answers, on a fresh connection.
            Assert.Equal("molt under ab", await http.GetStringAsync("kv/ab"));
            lock (lines) Assert.DoesNotContain(lines, l => l.StartsWith("PANIC", StringComparison.Ordinal));
        }
        finally
        {
            stop.Cancel();
            try { await run; } catch (OperationCanceledException) { }
        }
    }

    [KernelFact]
    public Task X64_survives_ab_5000_requests_50_at_a_time() => AbAgainstTheKv(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_survives_ab_5000_requests_50_at_a_time() => AbAgainstTheKv(QemuArch.Arm64);
}
