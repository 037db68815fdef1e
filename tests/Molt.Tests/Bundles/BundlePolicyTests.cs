using Molt.Update.Bundles;
using Xunit;
using static Molt.Tests.Bundles.BundleSamples;

namespace Molt.Tests.Bundles;

public class BundlePolicyTests
{
    private static BundleErrorCode Check(BundleArch arch, byte[] buildId, uint level, ulong lastSequence, byte[]? trustedKeyId)
    {
        byte[] b = Valid(); // x64, base level 3, sequence 42, build id 0..31, key id 1..8
        Assert.True(BundleReader.TryParse(b, out BundleView v, out _));
        var facts = new KernelFacts { Arch = arch, BuildId = buildId, CurrentLevel = level, LastSequence = lastSequence, TrustedKeyId = trustedKeyId };
        BundleError e = BundlePolicy.Check(v, facts);
        Assert.NotNull(e.Reason);
        return e.Code;
    }

    [Fact]
    public void Accepts_AMatchingBundle()
    {
        Assert.Equal(BundleErrorCode.None, Check(BundleArch.X64, BuildId(), 3, 41, KeyId));
        Assert.Equal(BundleErrorCode.None, Check(BundleArch.X64, BuildId(), 3, 0, null));
    }

    [Fact]
    public void Refuses_WrongArch() => Assert.Equal(BundleErrorCode.WrongArch, Check(BundleArch.Arm64, BuildId(), 3, 0, KeyId));

    [Fact]
    public void Refuses_WrongBuildId()
    {
        Assert.Equal(BundleErrorCode.WrongBuildId, Check(BundleArch.X64, BuildId(1), 3, 0, KeyId));
        Assert.Equal(BundleErrorCode.WrongBuildId, Check(BundleArch.X64, BuildId()[..31], 3, 0, KeyId));
    }

    [Fact]
    public void Refuses_WrongBaseLevel()
    {
        Assert.Equal(BundleErrorCode.WrongBaseLevel, Check(BundleArch.X64, BuildId(), 2, 0, KeyId));
        Assert.Equal(BundleErrorCode.WrongBaseLevel, Check(BundleArch.X64, BuildId(), 4, 0, KeyId));
    }

    [Fact]
    public void Refuses_ReplayedOrOlderSequence()
    {
        Assert.Equal(BundleErrorCode.ReplayedSequence, Check(BundleArch.X64, BuildId(), 3, 42, KeyId));
        Assert.Equal(BundleErrorCode.ReplayedSequence, Check(BundleArch.X64, BuildId(), 3, 43, KeyId));
        Assert.Equal(BundleErrorCode.ReplayedSequence, Check(BundleArch.X64, BuildId(), 3, ulong.MaxValue, KeyId));
    }

    [Fact]
    public void Refuses_AnotherSigner()
    {
        byte[] other = [1, 2, 3, 4, 5, 6, 7, 9];
        Assert.Equal(BundleErrorCode.UnknownSigner, Check(BundleArch.X64, BuildId(), 3, 0, other));
    }

    [Fact]
    public void Offsets_PointAtTheField()
    {
        byte[] b = Valid();
        Assert.True(BundleReader.TryParse(b, out BundleView v, out _));
        var facts = new KernelFacts { Arch = BundleArch.X64, BuildId = BuildId(), CurrentLevel = 3, LastSequence = 50 };
        Assert.Equal(BundleFormat.OffSequence, BundlePolicy.Check(v, facts).Offset);
        facts.TrustedKeyId = new byte[8];
        facts.LastSequence = 0;
        Assert.Equal(b.Length - BundleFormat.TrailerSize, BundlePolicy.Check(v, facts).Offset);
    }
}
