using System.Security.Cryptography;
using Molt.Cli.Bundles;
using Molt.Update.Bundles;
using Xunit;

namespace Molt.Tests.Bundles;

/// <summary>The kernel's rollback request reader and policy (update/Bundles/Rollback*.cs), on the host.</summary>
public class RollbackReaderTests
{
    public static readonly byte[] KeyId = [9, 8, 7, 6, 5, 4, 3, 2];

    /// <summary>x64, level 3 to 1, top sequence 42, build id 0..31, key id 9..2; the signature is a stand-in (the reader does not check it).</summary>
    public static byte[] Valid(BundleArch arch = BundleArch.X64, uint from = 3, uint to = 1, ulong top = 42) =>
        RollbackWriter.Write(new RollbackContents { Arch = arch, FromLevel = from, ToLevel = to, TopSequence = top, BuildId = BundleSamples.BuildId() },
            KeyId, m => SHA512.HashData(m));

    private static BundleError Refusal(byte[] b)
    {
        Assert.False(RollbackReader.TryParse(b, out _, out BundleError e));
        Assert.DoesNotContain("unknown error", e.Reason);
        return e;
    }

    private static byte[] With(Action<byte[]> change)
    {
        byte[] b = Valid();
        change(b);
        return b;
    }

    [Fact]
    public void Parses_EveryField()
    {
        byte[] b = Valid(BundleArch.Arm64, 7, 2, 0x0102030405060708);
        Assert.True(RollbackReader.TryParse(b, out RollbackView v, out BundleError e), e.Reason);
        Assert.Equal(BundleErrorCode.None, e.Code);
        Assert.Equal("MOLTRLBK"u8.ToArray(), b[..8]);
        Assert.Equal((BundleArch.Arm64, 7u, 2u, 0x0102030405060708ul), (v.Arch, v.FromLevel, v.ToLevel, v.TopSequence));
        Assert.Equal(BundleSamples.BuildId(), v.BuildId.ToArray());
        Assert.Equal(KeyId, v.KeyId.ToArray());
        Assert.Equal(b[..72], v.SignedBytes.ToArray());
        Assert.Equal(SHA512.HashData(b[..72]), v.Signature.ToArray());
        // Little-endian fields at the documented offsets.
        Assert.Equal([1, 0, 136, 0, 2, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1], b[8..32]);
    }

    [Fact]
    public void Accepts_TheSmallestAndLargestLevels()
    {
        Assert.True(RollbackReader.TryParse(Valid(from: 1, to: 0), out _, out _));
        Assert.True(RollbackReader.TryParse(Valid(from: uint.MaxValue, to: uint.MaxValue - 1, top: ulong.MaxValue), out _, out _));
    }

    public static TheoryData<string, int, BundleErrorCode, int> Refusals() => new()
    {
        { "empty", 0, BundleErrorCode.Truncated, 0 },
        { "seven bytes", 1, BundleErrorCode.Truncated, 7 },
        { "magic only", 2, BundleErrorCode.Truncated, 8 },
        { "header only", 3, BundleErrorCode.Truncated, 16 },
        { "one short", 4, BundleErrorCode.Truncated, 135 },
        { "one long", 5, BundleErrorCode.RollbackTooLong, 136 },
        { "a bundle's magic", 6, BundleErrorCode.RollbackBadMagic, 0 },
        { "magic's last byte", 7, BundleErrorCode.RollbackBadMagic, 0 },
        { "version 2", 8, BundleErrorCode.UnknownVersion, 8 },
        { "total size 135", 9, BundleErrorCode.RollbackBadTotalSize, 10 },
        { "arch 0", 10, BundleErrorCode.UnknownArch, 12 },
        { "arch 3", 11, BundleErrorCode.UnknownArch, 12 },
        { "reserved 13", 12, BundleErrorCode.ReservedNotZero, 13 },
        { "reserved 15", 13, BundleErrorCode.ReservedNotZero, 15 },
        { "to = from", 14, BundleErrorCode.RollbackBadLevels, 20 },
        { "to > from", 15, BundleErrorCode.RollbackBadLevels, 20 },
        { "from 0", 16, BundleErrorCode.RollbackBadLevels, 20 },
    };

    private static byte[] Case(int n) => n switch
    {
        0 => [],
        1 => Valid()[..7],
        2 => Valid()[..8],
        3 => Valid()[..16],
        4 => Valid()[..135],
        5 => [.. Valid(), 0],
        6 => With(b => "MOLTPTCH"u8.CopyTo(b)),
        7 => With(b => b[7] = (byte)'X'),
        8 => With(b => b[8] = 2),
        9 => With(b => b[10] = 135),
        10 => With(b => b[12] = 0),
        11 => With(b => b[12] = 3),
        12 => With(b => b[13] = 1),
        13 => With(b => b[15] = 0x80),
        14 => Valid(from: 3, to: 3),
        15 => Valid(from: 3, to: 4),
        16 => Valid(from: 0, to: 0),
        _ => throw new ArgumentOutOfRangeException(nameof(n)),
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Refuses_WithTheReasonAndTheOffendingByte(string what, int n, BundleErrorCode code, int offset)
    {
        BundleError e = Refusal(Case(n));
        Assert.True(code == e.Code, $"{what}: {e.Code} ({e.Reason}) at {e.Offset}");
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void ABundle_IsNamedAsSuch()
    {
        BundleError e = Refusal(BundleSamples.Valid());
        Assert.Equal(BundleErrorCode.RollbackBadMagic, e.Code);
        Assert.Contains("not a Molt rollback request", e.Reason);
    }

    [Fact]
    public void EveryErrorCode_HasAReason()
    {
        foreach (BundleErrorCode c in Enum.GetValues<BundleErrorCode>())
            Assert.NotEqual("unknown error", BundleError.Describe(c));
    }

    private static BundleError Check(byte[] request, BundleArch arch = BundleArch.X64, byte[]? buildId = null, uint level = 3, ulong top = 42, byte[]? trusted = null)
    {
        Assert.True(RollbackReader.TryParse(request, out RollbackView v, out _));
        var facts = new RollbackFacts { Arch = arch, BuildId = buildId ?? BundleSamples.BuildId(), CurrentLevel = level, TopSequence = top, TrustedKeyId = trusted };
        return RollbackPolicy.Check(v, facts);
    }

    [Fact]
    public void Policy_AcceptsTheKernelsExactState()
    {
        Assert.True(Check(Valid()).IsOk);
        Assert.True(Check(Valid(), trusted: KeyId).IsOk);
    }

    [Theory]
    [InlineData("arch", BundleErrorCode.RollbackWrongArch, 12)]
    [InlineData("build id", BundleErrorCode.RollbackWrongBuildId, 32)]
    [InlineData("short build id", BundleErrorCode.RollbackWrongBuildId, 32)]
    [InlineData("level below", BundleErrorCode.RollbackStaleLevel, 16)]
    [InlineData("level above", BundleErrorCode.RollbackStaleLevel, 16)]
    [InlineData("older top", BundleErrorCode.RollbackStaleSequence, 24)]
    [InlineData("newer top", BundleErrorCode.RollbackStaleSequence, 24)]
    [InlineData("signer", BundleErrorCode.UnknownSigner, 64)]
    public void Policy_RefusesAnyOtherState(string what, BundleErrorCode code, int offset)
    {
        byte[] r = Valid();
        BundleError e = what switch
        {
            "arch" => Check(r, arch: BundleArch.Arm64),
            "build id" => Check(r, buildId: BundleSamples.BuildId(1)),
            "short build id" => Check(r, buildId: BundleSamples.BuildId()[..31]),
            "level below" => Check(r, level: 2),
            "level above" => Check(r, level: 4),
            "older top" => Check(r, top: 41),
            "newer top" => Check(r, top: 43),
            _ => Check(r, trusted: [9, 8, 7, 6, 5, 4, 3, 3]),
        };
        Assert.Equal(code, e.Code);
        Assert.Equal(offset, e.Offset);
        Assert.DoesNotContain("unknown error", e.Reason);
    }
}
