using System.Security.Cryptography;
using Molt.Tests.Cli;
using Molt.Update.Bundles;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Xunit;
using static Molt.Tests.Daemon.DaemonSamples;

namespace Molt.Tests.Daemon;

/// <summary><c>molt rollback</c> against a fake daemon: the request it signs, what it refuses locally, how it exits.</summary>
public class RollbackCommandTests : IDisposable
{
    private readonly string _dir = MoltTool.TempDir();
    private readonly byte[] _seed = Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i)).ToArray();
    private readonly string _key;

    public RollbackCommandTests()
    {
        _key = Path.Combine(_dir, "test-signing.key");
        File.WriteAllText(_key, $"molt-ed25519-secret {Convert.ToHexStringLower(_seed)}\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private byte[] PublicKey => new Ed25519PrivateKeyParameters(_seed, 0).GeneratePublicKey().GetEncoded();

    private static bool Verifies(byte[] publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        var v = new Ed25519Signer();
        v.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        byte[] m = message.ToArray();
        v.BlockUpdate(m, 0, m.Length);
        return v.VerifySignature(signature.ToArray());
    }

    private FakeDaemon Daemon(string status, FakeReply rollback) =>
        FakeDaemon.Routes(("GET", "/status", FakeReply.Json(200, status)), ("POST", "/rollback", rollback));

    [Theory]
    [InlineData(null, 1u, "kv-logging (sequence 5)")]
    [InlineData("0", 0u, "kv-logging (sequence 5), kv-fix-case (sequence 1)")]
    public void SignsARequestForTheKernelsExactState(string? level, uint to, string undid)
    {
        using FakeDaemon daemon = Daemon(Status(level: 2, arch: "arm64"), FakeReply.Json(200, RolledBack(2, (int)to)));
        string[] args = ["rollback", "--to", daemon.Address, "--key", _key, .. level == null ? Array.Empty<string>() : ["--level", level]];
        ToolResult r = MoltTool.Run(_dir, args);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"rolled back {daemon.Address} from level 2 to level {to}: undid {undid}; took 1.8 ms, max blocked 0 µs\n", r.Stdout);

        FakeRequest[] reqs = daemon.Requests.ToArray();
        Assert.Equal(["GET /status", "POST /rollback"], reqs.Select(q => $"{q.Method} {q.Path}").ToArray());
        byte[] body = reqs[1].Body;
        Assert.Equal("136", reqs[1].Header("content-length"));

        // Every field, read back with the kernel's reader.
        Assert.Equal(RollbackFormat.Size, body.Length);
        Assert.True(RollbackReader.TryParse(body, out RollbackView v, out BundleError e), e.Reason);
        Assert.Equal("MOLTRLBK", Utf8(body[..8]));
        Assert.Equal(BundleArch.Arm64, v.Arch);
        Assert.Equal(2u, v.FromLevel);
        Assert.Equal(to, v.ToLevel);
        Assert.Equal(5ul, v.TopSequence); // the top patch's sequence, not last_sequence (7)
        Assert.Equal(Convert.FromHexString(BuildIdHex), v.BuildId.ToArray());
        Assert.Equal(SHA512.HashData(PublicKey)[..8], v.KeyId.ToArray());
        Assert.Equal(body[..72], v.SignedBytes.ToArray());
        Assert.Equal(body[72..], v.Signature.ToArray());

        // The signature covers bytes 0..71 exactly: it verifies, and no longer does when any of them changes.
        Assert.True(Verifies(PublicKey, v.SignedBytes, v.Signature));
        for (int i = 0; i < RollbackFormat.SignedSize; i += 7)
        {
            byte[] bad = (byte[])body.Clone();
            bad[i] ^= 0x01;
            Assert.False(Verifies(PublicKey, bad.AsSpan(0, 72), bad.AsSpan(72)), $"byte {i} is not covered");
        }

        // And the kernel's policy accepts it for the state the status showed, and only that state.
        var facts = new RollbackFacts { Arch = BundleArch.Arm64, BuildId = Convert.FromHexString(BuildIdHex), CurrentLevel = 2, TopSequence = 5, TrustedKeyId = SHA512.HashData(PublicKey)[..8] };
        Assert.Equal(BundleErrorCode.None, RollbackPolicy.Check(v, facts).Code);
        facts.TopSequence = 7;
        Assert.Equal(BundleErrorCode.RollbackStaleSequence, RollbackPolicy.Check(v, facts).Code);
    }

    [Fact]
    public void Json_PrintsTheRawAnswer()
    {
        using FakeDaemon daemon = Daemon(Status(level: 1, arch: "x64"), FakeReply.Json(200, RolledBack(1, 0)));
        ToolResult r = MoltTool.Run(_dir, "rollback", "--to", daemon.Address, "--key", _key, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(RolledBack(1, 0) + "\n", r.Stdout);
        Assert.True(RollbackReader.TryParse(daemon.Requests.Last().Body, out RollbackView v, out _));
        Assert.Equal((BundleArch.X64, 1u, 0u, 1ul), (v.Arch, v.FromLevel, v.ToLevel, v.TopSequence));
    }

    [Theory]
    [InlineData(0, null, "nothing to roll back: {0} is at level 0 (the kernel as booted)")]
    [InlineData(2, "2", "cannot roll back {0} to level 2: it is at level 2 (choose a level from 0 to 1)")]
    [InlineData(1, "5", "cannot roll back {0} to level 5: it is at level 1 (choose a level from 0 to 0)")]
    public void RefusesLocally_WhenThereIsNothingToUndo(int current, string? level, string message)
    {
        using FakeDaemon daemon = Daemon(Status(level: current), FakeReply.Json(200, RolledBack(1, 0)));
        string[] args = ["rollback", "--to", daemon.Address, "--key", _key, .. level == null ? Array.Empty<string>() : ["--level", level]];
        ToolResult r = MoltTool.Run(_dir, args);
        Assert.Equal("molt: error: " + string.Format(message, daemon.Address), r.AssertOneLineError());
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain(daemon.Requests, q => q.Method == "POST");
    }

    [Theory]
    [InlineData("policy", 409, "rollback request was signed for another top patch (stale or replayed)", 24, " (byte 24)")]
    [InlineData("signature", 403, "signer key id is not the trusted key's", 64, " (byte 64)")]
    [InlineData("rollback", 422, "class kv-log still has 3 objects", -1, "")]
    public void KernelRefusal_ExitsOne(string step, int status, string reason, long offset, string tail)
    {
        using FakeDaemon daemon = Daemon(Status(level: 2), FakeReply.Json(status, Refused(step, status, reason, offset, level: 2)));
        ToolResult r = MoltTool.Run(_dir, "rollback", "--to", daemon.Address, "--key", _key);
        Assert.Equal($"molt: error: the kernel refused the rollback from level 2 to level 1 at {step} ({status}): {reason}{tail}; the kernel stays at level 2", r.AssertOneLineError());
        Assert.Equal(1, r.ExitCode);
    }

    [Fact]
    public void Busy_ExitsThree()
    {
        using FakeDaemon daemon = Daemon(Status(level: 2, busy: "kv-x (applying)"), FakeReply.Json(409, Busy));
        ToolResult r = MoltTool.Run(_dir, "rollback", "--to", daemon.Address, "--key", _key);
        Assert.Contains("is busy (409): another update is in progress", r.AssertOneLineError());
        Assert.Equal(3, r.ExitCode);
    }

    [Fact]
    public void Unreachable_ExitsFour()
    {
        int port = FakeDaemon.ClosedPort();
        ToolResult r = MoltTool.Run(_dir, "rollback", "--to", $"127.0.0.1:{port}", "--key", _key);
        Assert.Equal($"molt: error: cannot reach 127.0.0.1:{port}: connection refused", r.AssertOneLineError());
        Assert.Equal(4, r.ExitCode);
    }

    [Fact]
    public void MissingKey_FailsBeforeAnyNetwork()
    {
        using FakeDaemon daemon = Daemon(Status(), FakeReply.Json(200, RolledBack(2, 1)));
        string missing = Path.Combine(_dir, "none.key");
        ToolResult r = MoltTool.Run(_dir, "rollback", "--to", daemon.Address, "--key", missing);
        Assert.Equal($"molt: error: key file {missing} does not exist", r.AssertOneLineError());
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(daemon.Requests);
    }

    [Theory]
    [InlineData("""{"level": 1, "arch": "sparc", "build_id": "00", "patches": [{"level": 1, "sequence": 1}]}""", "unknown arch \"sparc\"")]
    [InlineData("""{"level": 1, "arch": "x64", "build_id": "abc", "patches": [{"level": 1, "sequence": 1}]}""", "build id \"abc\" is not 64 hex digits")]
    [InlineData("""{"level": 1, "arch": "x64", "build_id": "3f1c0000000000000000000000000000000000000000000000000000000000a5", "patches": []}""", "no patch with a sequence at level 1")]
    [InlineData("""{"arch": "x64"}""", "no \"level\"")]
    public void StatusThatCannotBeSigned_IsRefused(string status, string mentions)
    {
        using FakeDaemon daemon = Daemon(status, FakeReply.Json(200, RolledBack(1, 0)));
        ToolResult r = MoltTool.Run(_dir, "rollback", "--to", daemon.Address, "--key", _key);
        Assert.Contains($"{daemon.Address}'s /status cannot be used for a rollback: {mentions}", r.AssertOneLineError());
        Assert.Equal(1, r.ExitCode);
    }

    [Fact]
    public void NegativeLevel_IsABadCommandLine()
    {
        ToolResult r = MoltTool.Run(_dir, "rollback", "--level", "-1", "--key", _key);
        r.AssertOneLineError();
        Assert.Equal(2, r.ExitCode);
    }
}
