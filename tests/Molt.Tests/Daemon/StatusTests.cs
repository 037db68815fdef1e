using Molt.Tests.Cli;
using Xunit;
using static Molt.Tests.Daemon.DaemonSamples;

namespace Molt.Tests.Daemon;

/// <summary><c>molt status</c> against a fake daemon.</summary>
public class StatusTests : IDisposable
{
    private readonly string _dir = MoltTool.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RendersKernelFactsPatchStackClassesAndHistory()
    {
        using var daemon = FakeDaemon.Routes(("GET", "/status", FakeReply.Json(200, Status())));
        ToolResult r = MoltTool.Run(_dir, "status", "--to", daemon.Address);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Stderr);
        Assert.Equal("GET", Assert.Single(daemon.Requests).Method);
        string[] lines = r.Stdout.Split('\n');

        // Kernel facts: one row each.
        Assert.Contains($"kernel at {daemon.Address}", r.Stdout);
        foreach ((string fact, string value) in new[]
        {
            ("build id", BuildIdHex), ("arch", "arm64"), ("cpus", "4"), ("uptime", "3 min 1 s"), ("patch level", "2"),
            ("last sequence", "7"), ("busy", "no"), ("heap in use", "1.2 MiB"), ("patch memory", "64.0 MiB reserved, 14 frame(s) in use"),
        })
            Assert.Contains(lines, l => l.Contains($" {fact} ") && l.Contains($" {value} "));

        // The patch stack, bottom first, one row per patch.
        int fix = Array.FindIndex(lines, l => l.Contains(" kv-fix-case ") && l.Contains(" 1 min 20 s ") && l.Contains(" 35.3 ms ") && l.Contains(" 20.0 KiB "));
        int logging = Array.FindIndex(lines, l => l.Contains(" kv-logging ") && l.Contains(" 1 min 35 s ") && l.Contains(" 120 µs ") && l.Contains(" 30.3 KiB "));
        Assert.True(fix >= 0 && logging > fix, r.Stdout);

        // Classes and history.
        Assert.Contains(lines, l => l.Contains(" kv ") && l.Contains(" 2 "));
        Assert.Contains(lines, l => l.Contains(" kv-log ") && l.Contains(" 1 "));
        Assert.Contains(lines, l => l.Contains(" refused ") && l.Contains(" kv-bad ") && l.Contains("undefined symbol Foo"));
        Assert.Contains(lines, l => l.Contains(" rolled back ") && l.Contains(" kv-extra ") && l.Contains(" 1.8 ms "));
        foreach (string title in new[] { "patch stack (bottom first)", "updatable classes", "recent history (oldest first)" })
            Assert.Contains(title, r.Stdout);
    }

    [Fact]
    public void AKernelAsBooted_SaysSoInsteadOfEmptyTables()
    {
        string booted = """{"build_id": "00", "arch": "x64", "cpus": 1, "uptime_ms": 500, "level": 0, "last_sequence": 0, "busy": "kv-fix-case (receiving 12288 of 26512 bytes)", "heap_bytes_in_use": 10, "patches": [], "history": [], "classes": []}""";
        using var daemon = FakeDaemon.Routes(("GET", "/status", FakeReply.Json(200, booted)));
        ToolResult r = MoltTool.Run(_dir, "status", "--to", daemon.Address);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("patch stack: empty (level 0: the kernel as booted)", r.Stdout);
        Assert.Contains("updatable classes: none published", r.Stdout);
        Assert.Contains("history: no updates yet", r.Stdout);
        Assert.Contains("kv-fix-case (receiving 12288 of 26512 bytes)", r.Stdout);
    }

    [Fact]
    public void Json_PrintsTheRawAnswer()
    {
        using var daemon = FakeDaemon.Routes(("GET", "/status", FakeReply.Json(200, Status())));
        ToolResult r = MoltTool.Run(_dir, "status", "--to", daemon.Address, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Status() + "\n", r.Stdout);
    }

    [Fact]
    public void Unreachable_ExitsFour()
    {
        int port = FakeDaemon.ClosedPort();
        ToolResult r = MoltTool.Run(_dir, "status", "--to", $"127.0.0.1:{port}");
        Assert.Equal($"molt: error: cannot reach 127.0.0.1:{port}: connection refused", r.AssertOneLineError());
        Assert.Equal(4, r.ExitCode);
    }

    [Fact]
    public void SomethingElseOnThePort_IsRefused()
    {
        using var daemon = FakeDaemon.Routes(); // 404 for everything
        Assert.Contains("answered 404 Not Found without the daemon's JSON", AssertError(MoltTool.Run(_dir, "status", "--to", daemon.Address), 1));
    }

    [Theory]
    [InlineData("push", "POST /patches")]
    [InlineData("status", "GET /status")]
    [InlineData("rollback", "--level")]
    public void Help_SaysWhatItDoes_WithAnExampleAndTheExitCodes(string command, string mentions)
    {
        ToolResult r = MoltTool.Run(_dir, command, "--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage:", r.Stdout);
        Assert.Contains("Example: molt " + command, r.Stdout);
        Assert.Contains("0 done, 1 refused, 2 bad command line, 3 busy, 4 unreachable", r.Stdout);
        Assert.Contains("--to", r.Stdout);
        Assert.Contains(mentions, r.Stdout);
    }
}
