using System.Security.Cryptography;
using Molt.Cli.Bundles;
using Molt.Update.Bundles;

namespace Molt.Tests.Bundles;

/// <summary>Well-formed bundles to parse and to break. Signatures are a stand-in (SHA-512 of the signed bytes): the reader does not check them.</summary>
public static class BundleSamples
{
    public static readonly byte[] KeyId = [1, 2, 3, 4, 5, 6, 7, 8];

    public static byte[] BuildId(byte start = 0) => Enumerable.Range(start, 32).Select(i => (byte)i).ToArray();

    /// <summary>The smallest object the reader accepts: an ELF64 little-endian ET_REL header for <paramref name="machine"/>.</summary>
    public static byte[] FakeElf(ushort machine = 62, int size = 200)
    {
        var b = new byte[size];
        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 2; b[5] = 1; b[6] = 1;
        b[16] = 1;
        b[18] = (byte)machine; b[19] = (byte)(machine >> 8);
        for (int i = 64; i < size; i++) b[i] = (byte)(i * 7);
        return b;
    }

    public static BundleContents Contents() => new()
    {
        Arch = BundleArch.X64,
        BaseLevel = 3,
        Sequence = 42,
        BuildId = BuildId(),
        Name = "kv-logging",
        Description = "Adds logging to the kv store.\nSecond line: é✓",
        Updates =
        [
            new UpdateSpec(UpdateKind.ClassEager, "KvStore", 1, 2),
            new UpdateSpec(UpdateKind.NewType, "KvLog", 0, 1),
            new UpdateSpec(UpdateKind.ClassLazy, "Sessions", 4, 7),
            new UpdateSpec(UpdateKind.ObjectSwap, "kv.store.main", 2, 3),
        ],
        EntrySymbol = "kv_logging_42_Patches_KvLogging_PatchMain__Register",
        Object = FakeElf(),
    };

    public static byte[] FakeSign(byte[] signed) => SHA512.HashData(signed);

    public static byte[] Write(BundleContents c) => BundleWriter.Write(c, KeyId, FakeSign);

    public static byte[] Valid() => Write(Contents());

    /// <summary>A bundle with these raw parts (canonically placed), for contents the writer would never make.</summary>
    public static byte[] Raw(byte[]? name = null, byte[]? description = null, byte[]? updates = null, byte[]? strings = null,
        byte[]? entry = null, byte[]? obj = null, BundleArch arch = BundleArch.X64)
    {
        byte[] valid = Valid();
        BundleReader.TryParse(valid, out BundleView v, out _);
        byte[][] parts =
        [
            name ?? v.Name.ToArray(),
            description ?? v.Description.ToArray(),
            updates ?? Part(valid, BundlePart.Updates),
            strings ?? Part(valid, BundlePart.Strings),
            entry ?? v.EntrySymbol.ToArray(),
            obj ?? v.Object.ToArray(),
        ];
        return BundleWriter.Assemble(arch, 3, 42, BuildId(), parts, KeyId, FakeSign);
    }

    /// <summary>One update entry's 16 bytes.</summary>
    public static byte[] Entry(byte kind, ushort targetLength, uint targetOffset, uint from, uint to, byte reserved = 0)
    {
        var e = new byte[BundleFormat.UpdateEntrySize];
        e[0] = kind; e[1] = reserved;
        BundleWriter.PutU16(e, 2, targetLength);
        BundleWriter.PutU32(e, 4, targetOffset);
        BundleWriter.PutU32(e, 8, from);
        BundleWriter.PutU32(e, 12, to);
        return e;
    }

    public static int PartOffset(byte[] bundle, BundlePart p) => BitConverter.ToInt32(bundle, BundleFormat.OffParts + 8 * (int)p);
    public static int PartLength(byte[] bundle, BundlePart p) => BitConverter.ToInt32(bundle, BundleFormat.OffParts + 8 * (int)p + 4);
    public static byte[] Part(byte[] bundle, BundlePart p) => bundle.AsSpan(PartOffset(bundle, p), PartLength(bundle, p)).ToArray();
    public static int DirectoryEntry(BundlePart p) => BundleFormat.OffParts + 8 * (int)p;

    public static BundleError Parse(byte[] bundle)
    {
        BundleReader.TryParse(bundle, out _, out BundleError e);
        return e;
    }
}
