using Molt.Cli.Bundles;
using Molt.Tests.Bundles;
using Molt.Tests.Cli;
using Molt.Update.Bundles;
using Xunit;
using static Molt.Tests.Daemon.DaemonSamples;

namespace Molt.Tests.Daemon;

/// <summary><c>molt push</c> against a fake daemon: what it sends, what it says, how it exits (docs/update-daemon.md).</summary>
public class PushTests : IDisposable
{
    private readonly string _dir = MoltTool.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A well-formed bundle named kv-fix-case, written to a file; returns its path.</summary>
    private string BundleFile(int objectBytes = 4000)
    {
        byte[] b = BundleSamples.Write(new BundleContents
        {
            Arch = BundleArch.X64, BaseLevel = 0, Sequence = 1, BuildId = BundleSamples.BuildId(), Name = "kv-fix-case",
            Description = "", Updates = [new UpdateSpec(UpdateKind.ClassEager, "kv", 1, 2)], EntrySymbol = "e",
            Object = BundleSamples.FakeElf(62, objectBytes),
        });
        string path = Path.Combine(_dir, "kv-fix-case-1.x64.mpatch");
        File.WriteAllBytes(path, b);
        return path;
    }

    [Fact]
    public void Applied_SendsTheBundleWithLengthAndExpectContinue_AndSummarizes()
    {
        string bundle = BundleFile();
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(200, Applied)));
        ToolResult r = MoltTool.Run(_dir, "push", bundle, "--to", daemon.Address);
        Assert.True(r.ExitCode == 0, r.ToString());

        FakeRequest req = Assert.Single(daemon.Requests);
        byte[] sent = File.ReadAllBytes(bundle);
        Assert.Equal(sent.Length.ToString(), req.Header("content-length"));
        Assert.Null(req.Header("transfer-encoding"));
        Assert.Equal("100-continue", req.Header("expect"));
        Assert.True(req.SentContinue);
        Assert.Equal(sent, req.Body);

        Assert.Contains($"applied kv-fix-case on {daemon.Address}: level 1, sequence 1, 26512 bytes sent, 20.0 KiB of patch module", r.Stdout);
        foreach (string row in new[] { "receive", "8.1 ms", "parse", "12 µs", "verify", "5.8 ms", "link", "9.8 ms", "init", "310 µs", "swap", "17.2 ms", "total", "41.2 ms", "max blocked", "0 µs" })
            Assert.Contains(row, r.Stdout);
        // Not a terminal: one plain progress line per quarter, in order, nothing else.
        string[] progress = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["25%", "50%", "75%", "100%"], progress.Select(l => l.Split(' ')[3].TrimEnd(':')).ToArray());
        Assert.All(progress, l => Assert.StartsWith("molt: uploading kv-fix-case: ", l));
        Assert.EndsWith($"({sent.Length} of {sent.Length} bytes)", progress[^1]);
    }

    [Fact]
    public void Json_PrintsTheRawAnswer()
    {
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(200, Applied)));
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Applied + "\n", r.Stdout);
    }

    [Theory]
    [InlineData("parse", 400, "truncated: shorter than its header or its declared size", 112, "", " (byte 112)")]
    [InlineData("signature", 403, "the signature does not match the bundle and the trusted key", 26440, "", " (byte 26440)")]
    [InlineData("policy", 409, "bundle stacks on another patch level", 20, "", " (byte 20)")]
    [InlineData("link", 422, "undefined symbol", -1, "Molt_Kv_KvStore__Frobnicate", "; detail: Molt_Kv_KvStore__Frobnicate")]
    [InlineData("init", 422, "the patch's entry refused", -1, "", "")]
    [InlineData("http", 408, "time-out mid-upload", -1, "", "")]
    public void Refused_NamesStepStatusReasonOffsetAndDetail(string step, int status, string reason, long offset, string detail, string tail)
    {
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(status, Refused(step, status, reason, offset, detail))));
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address);
        string line = AssertError(r, 1);
        Assert.Equal($"molt: error: the kernel refused kv-fix-case at {step} ({status}): {reason}{tail}; the kernel stays at level 0", line);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void TooLarge_IsRefusedBeforeTheBodyIsSent()
    {
        // The daemon answers 413 instead of 100 Continue: molt must not send the body (its progress never starts).
        using var daemon = FakeDaemon.Routes(("POST", "/patches",
            FakeReply.Json(413, Refused("http", 413, "larger than the 4194304-byte upload limit")) with { Early = true }));
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address);
        Assert.Contains("at http (413): larger than the 4194304-byte upload limit", r.AssertOneLineError());
        Assert.Equal(1, r.ExitCode);
        Assert.False(Assert.Single(daemon.Requests).SentContinue);
    }

    [Fact]
    public void Busy_ExitsThree()
    {
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(409, Busy) with { Early = true }));
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address);
        string line = r.AssertOneLineError();
        Assert.Equal(3, r.ExitCode);
        Assert.Equal($"molt: error: {daemon.Address} is busy (409): another update is in progress: kv-fix-case (applying); try again when it is done", line);
    }

    [Fact]
    public void BusyAfterTheBody_AlsoExitsThree()
    {
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(409, Busy)));
        Assert.Contains("is busy (409)", AssertError(MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address), 3));
    }

    [Fact]
    public void Unreachable_ExitsFour()
    {
        int port = FakeDaemon.ClosedPort();
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", $"127.0.0.1:{port}");
        Assert.Equal($"molt: error: cannot reach 127.0.0.1:{port}: connection refused", r.AssertOneLineError());
        Assert.Equal(4, r.ExitCode);
    }

    [Fact]
    public void ServerDroppingMidUpload_ExitsFourAndSaysHowFarItGot()
    {
        string bundle = BundleFile(objectBytes: 4 << 20);
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(200, Applied) with { DropAfter = 64 * 1024 }));
        ToolResult r = MoltTool.Run(_dir, "push", bundle, "--to", daemon.Address);
        string line = AssertError(r, 4);
        Assert.Matches($@"^molt: error: {daemon.Address} dropped the connection (during the upload \(after \d+ of {new FileInfo(bundle).Length} bytes\)|before answering): ", line);
        Assert.Equal(64 * 1024, Assert.Single(daemon.Requests).Body.Length);
    }

    [Fact]
    public void NoAnswer_TimesOutAndExitsFour()
    {
        using var daemon = FakeDaemon.Routes(("POST", "/patches", FakeReply.Json(200, Applied) with { Hang = true }));
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address, "--timeout", "1");
        Assert.Equal($"molt: error: no answer from {daemon.Address} within 1 second", AssertError(r, 4));
    }

    [Fact]
    public void AnswerThatIsNotTheDaemons_IsRefusedWithTheBody()
    {
        using var daemon = FakeDaemon.Routes(("POST", "/patches", new FakeReply(404, "<html>nope</html>", "text/html")));
        string line = AssertError(MoltTool.Run(_dir, "push", BundleFile(), "--to", daemon.Address), 1);
        Assert.Equal($"molt: error: {daemon.Address} answered 404 Not Found without the daemon's JSON (is it the Molt update daemon?): <html>nope</html>", line);
    }

    [Theory]
    [InlineData("push", "/nonexistent/b.mpatch", 1, "/nonexistent/b.mpatch does not exist")]
    [InlineData("push", "--to", 2, "Required argument missing")]
    public void LocalFailures(string command, string arg, int exit, string mentions)
    {
        ToolResult r = MoltTool.Run(_dir, command, arg);
        Assert.Contains(mentions, r.AssertOneLineError());
        Assert.Equal(exit, r.ExitCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:")]
    [InlineData(":7777")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:77x")]
    [InlineData("::1:7777")]
    public void BadAddress_IsABadCommandLine(string to)
    {
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--to", to);
        Assert.Contains($"--to '{to}'", r.AssertOneLineError());
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void BadTimeout_IsABadCommandLine()
    {
        ToolResult r = MoltTool.Run(_dir, "push", BundleFile(), "--timeout", "0");
        Assert.Contains("--timeout 0", r.AssertOneLineError());
        Assert.Equal(2, r.ExitCode);
    }
}
