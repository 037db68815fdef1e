using System.Text;
using Molt.Cli.Bundles;
using Molt.Update.Bundles;
using Xunit;
using static Molt.Tests.Bundles.BundleSamples;

namespace Molt.Tests.Bundles;

public class BundleReaderTests
{
    [Fact]
    public void RoundTrip_EveryFieldEqual()
    {
        BundleContents c = Contents();
        byte[] b = Write(c);
        Assert.True(BundleReader.TryParse(b, out BundleView v, out BundleError e), e.Reason);
        Assert.Equal(BundleErrorCode.None, e.Code);
        Assert.Equal(c.Arch, v.Arch);
        Assert.Equal(c.BaseLevel, v.BaseLevel);
        Assert.Equal(c.Sequence, v.Sequence);
        Assert.Equal(c.BuildId, v.BuildId.ToArray());
        Assert.Equal(c.Name, Encoding.UTF8.GetString(v.Name));
        Assert.Equal(c.Description, Encoding.UTF8.GetString(v.Description));
        Assert.Equal(c.EntrySymbol, Encoding.ASCII.GetString(v.EntrySymbol));
        Assert.Equal(c.Object, v.Object.ToArray());
        Assert.Equal(c.Updates.Count, v.UpdateCount);
        for (int i = 0; i < c.Updates.Count; i++)
        {
            BundleUpdate u = v.GetUpdate(i);
            Assert.Equal(c.Updates[i], new UpdateSpec(u.Kind, Encoding.UTF8.GetString(u.Target), u.FromVersion, u.ToVersion));
        }
        Assert.Equal(KeyId, v.KeyId.ToArray());
        Assert.Equal(b.Length - 64, v.SignedBytes.Length);
        Assert.Equal(FakeSign(b[..^64]), v.Signature.ToArray());
    }

    [Fact]
    public void Layout_IsCanonicalAndAligned()
    {
        byte[] b = Valid();
        Assert.Equal("MOLTPTCH", Encoding.ASCII.GetString(b, 0, 8));
        Assert.Equal(BundleFormat.HeaderSize, PartOffset(b, BundlePart.Name));
        Assert.Equal(0, PartOffset(b, BundlePart.Object) % 16);
        for (int p = 1; p < BundleFormat.PartCount; p++)
            Assert.Equal(0, PartOffset(b, (BundlePart)p) % 8);
        Assert.Equal(b.Length, BitConverter.ToInt32(b, BundleFormat.OffTotalSize));
        // The key id follows the object, 8-aligned.
        int objEnd = PartOffset(b, BundlePart.Object) + PartLength(b, BundlePart.Object);
        Assert.Equal(BundleFormat.AlignUp(objEnd, 8), b.Length - BundleFormat.TrailerSize);
    }

    [Fact]
    public void Writer_IsDeterministic() => Assert.Equal(Valid(), Valid());

    [Fact]
    public void Arm64_RoundTrips()
    {
        BundleContents c = Contents();
        byte[] b = Write(new BundleContents
        {
            Arch = BundleArch.Arm64, BaseLevel = 0, Sequence = ulong.MaxValue, BuildId = c.BuildId, Name = "n",
            Description = "", Updates = c.Updates, EntrySymbol = "e", Object = FakeElf(183, 64),
        });
        Assert.True(BundleReader.TryParse(b, out BundleView v, out BundleError e), e.Reason);
        Assert.Equal(BundleArch.Arm64, v.Arch);
        Assert.Equal(ulong.MaxValue, v.Sequence);
        Assert.Equal(0, v.Description.Length);
    }

    public static TheoryData<string, byte[], BundleErrorCode, int> Refusals()
    {
        byte[] valid = Valid();
        int name = PartOffset(valid, BundlePart.Name);
        int desc = PartOffset(valid, BundlePart.Description);
        int upd = PartOffset(valid, BundlePart.Updates);
        int str = PartOffset(valid, BundlePart.Strings);
        int sym = PartOffset(valid, BundlePart.EntrySymbol);
        int obj = PartOffset(valid, BundlePart.Object);
        byte[] Mut(Action<byte[]> change) { byte[] b = (byte[])valid.Clone(); change(b); return b; }
        byte[] target = Encoding.UTF8.GetBytes("KvStore");
        var d = new TheoryData<string, byte[], BundleErrorCode, int>
        {
            { "shorter than the magic", valid[..5], BundleErrorCode.Truncated, 5 },
            { "cut after the header", valid[..120], BundleErrorCode.Truncated, 120 },
            { "one byte short", valid[..^1], BundleErrorCode.Truncated, valid.Length - 1 },
            { "bad magic", Mut(b => b[0] ^= 1), BundleErrorCode.BadMagic, 0 },
            { "version 2", Mut(b => b[8] = 2), BundleErrorCode.UnknownVersion, 8 },
            { "header size", Mut(b => b[10] = 100), BundleErrorCode.BadHeaderSize, 10 },
            { "arch 3", Mut(b => b[12] = 3), BundleErrorCode.UnknownArch, 12 },
            { "arch 0", Mut(b => b[12] = 0), BundleErrorCode.UnknownArch, 12 },
            { "reserved", Mut(b => b[14] = 1), BundleErrorCode.ReservedNotZero, 14 },
            { "declared size over the limit", Mut(b => BundleWriter.PutU32(b, 16, BundleFormat.MaxBundleBytes + 1u)), BundleErrorCode.Oversized, 16 },
            { "declared size larger than input", Mut(b => BundleWriter.PutU32(b, 16, (uint)b.Length + 8)), BundleErrorCode.Truncated, valid.Length },
            { "trailing bytes", [.. valid, 0, 0, 0, 0, 0, 0, 0, 0], BundleErrorCode.TotalSizeMismatch, 16 },
            { "declared size smaller, rest ignored", Mut(b => BundleWriter.PutU32(b, 16, (uint)b.Length - 8)), BundleErrorCode.TotalSizeMismatch, 16 },
            { "name moved", Mut(b => BundleWriter.PutU32(b, DirectoryEntry(BundlePart.Name), (uint)name + 8)), BundleErrorCode.PartMisplaced, DirectoryEntry(BundlePart.Name) },
            { "object moved", Mut(b => BundleWriter.PutU32(b, DirectoryEntry(BundlePart.Object), (uint)obj - 16)), BundleErrorCode.PartMisplaced, DirectoryEntry(BundlePart.Object) },
            { "object past the trailer", Mut(b => BundleWriter.PutU32(b, DirectoryEntry(BundlePart.Object) + 4, 100000)), BundleErrorCode.PartOutOfBounds, DirectoryEntry(BundlePart.Object) + 4 },
            { "name length huge", Mut(b => BundleWriter.PutU32(b, DirectoryEntry(BundlePart.Name) + 4, uint.MaxValue)), BundleErrorCode.PartOutOfBounds, DirectoryEntry(BundlePart.Name) + 4 },
            { "padding after the name", Mut(b => b[name + 10] = 1), BundleErrorCode.PaddingNotZero, name + 10 },
            { "name empty", Raw(name: []), BundleErrorCode.NameEmpty, BundleFormat.HeaderSize },
            { "name 65 bytes", Raw(name: new byte[65].Select(_ => (byte)'a').ToArray()), BundleErrorCode.NameTooLong, BundleFormat.HeaderSize },
            { "name with a control", Raw(name: "ab\u0001"u8.ToArray()), BundleErrorCode.NameBadUtf8, BundleFormat.HeaderSize + 2 },
            { "name with a bare continuation", Raw(name: [(byte)'a', 0x80]), BundleErrorCode.NameBadUtf8, BundleFormat.HeaderSize + 1 },
            { "name with an overlong slash", Raw(name: [0xC0, 0xAF]), BundleErrorCode.NameBadUtf8, BundleFormat.HeaderSize },
            { "name with a surrogate", Raw(name: [0xED, 0xA0, 0x80]), BundleErrorCode.NameBadUtf8, BundleFormat.HeaderSize },
            { "name cut mid-sequence", Raw(name: [(byte)'x', 0xE2, 0x9C]), BundleErrorCode.NameBadUtf8, BundleFormat.HeaderSize + 1 },
            { "name above U+10FFFF", Raw(name: [0xF4, 0x90, 0x80, 0x80]), BundleErrorCode.NameBadUtf8, BundleFormat.HeaderSize },
            { "description 1025 bytes", Raw(description: new byte[1025].Select(_ => (byte)'d').ToArray()), BundleErrorCode.DescriptionTooLong, BundleFormat.HeaderSize + 16 },
            { "description bad UTF-8", Mut(b => b[desc + 3] = 0xFF), BundleErrorCode.DescriptionBadUtf8, desc + 3 },
            { "updates 17 bytes", Raw(updates: new byte[17]), BundleErrorCode.UpdatesMisaligned, DirectoryEntry(BundlePart.Updates) + 4 },
            { "no updates", Raw(updates: []), BundleErrorCode.NoUpdates, DirectoryEntry(BundlePart.Updates) + 4 },
            { "65 updates", Raw(updates: Enumerable.Range(0, 65).SelectMany(_ => Entry(1, 7, 0, 1, 2)).ToArray(), strings: target), BundleErrorCode.TooManyUpdates, DirectoryEntry(BundlePart.Updates) + 4 },
            { "kind 0", Mut(b => b[upd] = 0), BundleErrorCode.UpdateBadKind, upd },
            { "kind 5 in the second entry", Mut(b => b[upd + 16] = 5), BundleErrorCode.UpdateBadKind, upd + 16 },
            { "entry reserved", Mut(b => b[upd + 1] = 9), BundleErrorCode.UpdateReservedNotZero, upd + 1 },
            { "target empty", Mut(b => BundleWriter.PutU16(b, upd + 2, 0)), BundleErrorCode.UpdateTargetEmpty, upd + 2 },
            { "target 129 bytes", Mut(b => BundleWriter.PutU16(b, upd + 2, 129)), BundleErrorCode.UpdateTargetTooLong, upd + 2 },
            { "target past the strings", Mut(b => BundleWriter.PutU32(b, upd + 4, 1000)), BundleErrorCode.UpdateTargetOutOfBounds, upd + 4 },
            { "target offset overflow", Mut(b => BundleWriter.PutU32(b, upd + 4, uint.MaxValue)), BundleErrorCode.UpdateTargetOutOfBounds, upd + 4 },
            { "target bad UTF-8", Mut(b => b[str + 2] = 0xFE), BundleErrorCode.UpdateTargetBadUtf8, str + 2 },
            { "class update to the same version", Mut(b => BundleWriter.PutU32(b, upd + 12, 1)), BundleErrorCode.UpdateBadVersions, upd + 8 },
            { "class update from version 0", Mut(b => BundleWriter.PutU32(b, upd + 8, 0)), BundleErrorCode.UpdateBadVersions, upd + 8 },
            { "new type from version 1", Mut(b => BundleWriter.PutU32(b, upd + 16 + 8, 1)), BundleErrorCode.UpdateBadVersions, upd + 16 + 8 },
            { "strings 8193 bytes", Raw(strings: new byte[8193]), BundleErrorCode.StringsTooLong, DirectoryEntry(BundlePart.Strings) + 4 },
            { "entry symbol empty", Raw(entry: []), BundleErrorCode.EntrySymbolEmpty, -2 },
            { "entry symbol 257 bytes", Raw(entry: new byte[257].Select(_ => (byte)'s').ToArray()), BundleErrorCode.EntrySymbolTooLong, -2 },
            { "entry symbol with a space", Mut(b => b[sym + 4] = (byte)' '), BundleErrorCode.EntrySymbolBadChar, sym + 4 },
            { "entry symbol with a high byte", Mut(b => b[sym] = 0xC3), BundleErrorCode.EntrySymbolBadChar, sym },
            { "object 63 bytes", Raw(obj: FakeElf(62, 63)), BundleErrorCode.ObjectTooSmall, -2 },
            { "object not ELF", Mut(b => b[obj + 1] = (byte)'X'), BundleErrorCode.ObjectNotElf, obj },
            { "object ELF32", Mut(b => b[obj + 4] = 1), BundleErrorCode.ObjectNotElf, obj + 4 },
            { "object big-endian", Mut(b => b[obj + 5] = 2), BundleErrorCode.ObjectNotElf, obj + 5 },
            { "object executable", Mut(b => b[obj + 16] = 2), BundleErrorCode.ObjectNotElf, obj + 16 },
            { "object for arm64 in an x64 bundle", Raw(obj: FakeElf(183)), BundleErrorCode.ObjectWrongMachine, -2 },
            { "object for x64 in an arm64 bundle", Raw(arch: BundleArch.Arm64), BundleErrorCode.ObjectWrongMachine, -2 },
        };
        return d;
    }

    /// <param name="offset">Expected byte offset; -2 means "the start of the part named by the code" (computed from the bundle).</param>
    [Theory]
    [MemberData(nameof(Refusals))]
    public void Refuses_WithReasonAndOffset(string what, byte[] bundle, BundleErrorCode code, int offset)
    {
        Assert.False(BundleReader.TryParse(bundle, out _, out BundleError e), what);
        Assert.Equal(code, e.Code);
        if (offset == -2)
        {
            BundlePart part = code is BundleErrorCode.EntrySymbolEmpty or BundleErrorCode.EntrySymbolTooLong ? BundlePart.EntrySymbol : BundlePart.Object;
            offset = PartOffset(bundle, part) + (code == BundleErrorCode.ObjectWrongMachine ? 18 : 0);
        }
        Assert.Equal(offset, e.Offset);
        Assert.NotEqual("unknown error", e.Reason);
    }

    [Fact]
    public void Refuses_InputOverTheLimit()
    {
        byte[] b = new byte[BundleFormat.MaxBundleBytes + 1];
        Valid().AsSpan(0, 16).CopyTo(b);
        BundleError e = Parse(b);
        Assert.Equal(BundleErrorCode.Oversized, e.Code);
    }

    [Fact]
    public void Refuses_ObjectOver16MiB()
    {
        byte[] big = FakeElf(62, BundleFormat.MaxObjectBytes + 1);
        Assert.Equal(BundleErrorCode.ObjectTooLarge, Parse(Raw(obj: big)).Code);
        Assert.Equal(BundleErrorCode.None, Parse(Raw(obj: FakeElf(62, BundleFormat.MaxObjectBytes))).Code);
    }

    [Fact]
    public void UpdateErrors_NameTheEntry()
    {
        byte[] b = Valid();
        b[PartOffset(b, BundlePart.Updates) + 2 * 16] = 77;
        BundleError e = Parse(b);
        Assert.Equal(BundleErrorCode.UpdateBadKind, e.Code);
        Assert.Equal(2, e.Index);
    }

    [Fact]
    public void EveryCode_HasItsOwnReason()
    {
        var reasons = Enum.GetValues<BundleErrorCode>().Select(BundleError.Describe).ToList();
        Assert.DoesNotContain("unknown error", reasons);
        Assert.Equal(reasons.Count, reasons.Distinct().Count());
    }

    [Fact]
    public void Utf8Check_AcceptsWhatDotNetEncodes()
    {
        string s = "héllo wörld ✓ 𝄞 日本";
        Assert.Equal(-1, Utf8Check.FirstInvalid(Encoding.UTF8.GetBytes(s), false));
        Assert.Equal(-1, Utf8Check.FirstInvalid("a\tb\nc"u8, true));
        Assert.Equal(1, Utf8Check.FirstInvalid("a\tb"u8, false));
        Assert.Equal(1, Utf8Check.FirstInvalid("a\rb"u8, true));
        Assert.Equal(0, Utf8Check.FirstInvalid([0xC2, 0x85], false)); // U+0085, a C1 control
    }
}
