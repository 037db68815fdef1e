using System.Text;
using Molt.Update.Bundles;

namespace Molt.Cli.Bundles;

/// <summary>One update of a bundle, as the host spells it.</summary>
public sealed record UpdateSpec(UpdateKind Kind, string Target, uint FromVersion, uint ToVersion);

/// <summary>Everything a bundle says, before signing.</summary>
public sealed class BundleContents
{
    public BundleArch Arch { get; init; }
    public uint BaseLevel { get; init; }
    public ulong Sequence { get; init; }
    public byte[] BuildId { get; init; } = new byte[BundleFormat.BuildIdSize];
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public IReadOnlyList<UpdateSpec> Updates { get; init; } = [];
    public string EntrySymbol { get; init; } = "";
    public byte[] Object { get; init; } = [];
}

/// <summary>
/// Writes the canonical encoding of a bundle (update/Bundles/BundleFormat.cs,
/// docs/patching.md): same contents and key, same bytes (Ed25519 signatures
/// are deterministic). It checks nothing about the contents: the caller
/// parses the result with the kernel's <see cref="BundleReader"/>, so the
/// writer and the reader cannot drift apart unnoticed.
/// </summary>
public static class BundleWriter
{
    /// <param name="sign">Signs the bytes it is given (everything before the signature) and returns 64 bytes.</param>
    public static byte[] Write(BundleContents c, ReadOnlySpan<byte> keyId, Func<byte[], byte[]> sign)
    {
        var strings = new MemoryStream();
        var updates = new byte[c.Updates.Count * BundleFormat.UpdateEntrySize];
        for (int i = 0; i < c.Updates.Count; i++)
        {
            UpdateSpec u = c.Updates[i];
            byte[] target = Encoding.UTF8.GetBytes(u.Target);
            Span<byte> e = updates.AsSpan(i * BundleFormat.UpdateEntrySize, BundleFormat.UpdateEntrySize);
            e[BundleFormat.UpdOffKind] = (byte)u.Kind;
            PutU16(e, BundleFormat.UpdOffTargetLength, checked((ushort)target.Length));
            PutU32(e, BundleFormat.UpdOffTargetOffset, (uint)strings.Length);
            PutU32(e, BundleFormat.UpdOffFromVersion, u.FromVersion);
            PutU32(e, BundleFormat.UpdOffToVersion, u.ToVersion);
            strings.Write(target);
        }

        byte[][] parts = new byte[BundleFormat.PartCount][];
        parts[(int)BundlePart.Name] = Encoding.UTF8.GetBytes(c.Name);
        parts[(int)BundlePart.Description] = Encoding.UTF8.GetBytes(c.Description);
        parts[(int)BundlePart.Updates] = updates;
        parts[(int)BundlePart.Strings] = strings.ToArray();
        parts[(int)BundlePart.EntrySymbol] = Encoding.ASCII.GetBytes(c.EntrySymbol);
        parts[(int)BundlePart.Object] = c.Object;
        return Assemble(c.Arch, c.BaseLevel, c.Sequence, c.BuildId, parts, keyId, sign);
    }

    /// <summary>
    /// Lays out raw parts (in <see cref="BundlePart"/> order) canonically
    /// behind the header, then the key id and the signature. Tests use it
    /// to make bundles whose parts are well placed but whose contents are not.
    /// </summary>
    public static byte[] Assemble(BundleArch arch, uint baseLevel, ulong sequence, byte[] buildId, byte[][] parts, ReadOnlySpan<byte> keyId, Func<byte[], byte[]> sign)
    {
        if (parts.Length != BundleFormat.PartCount) throw new ArgumentException("six parts");
        if (buildId.Length != BundleFormat.BuildIdSize) throw new ArgumentException("build id must be 32 bytes");
        if (keyId.Length != BundleFormat.KeyIdSize) throw new ArgumentException("key id must be 8 bytes");
        var offsets = new int[BundleFormat.PartCount];
        long end = BundleFormat.HeaderSize;
        for (int p = 0; p < BundleFormat.PartCount; p++)
        {
            offsets[p] = BundleFormat.AlignUp(checked((int)end), BundleFormat.Alignment((BundlePart)p));
            end = (long)offsets[p] + parts[p].Length;
        }
        int keyIdAt = BundleFormat.AlignUp(checked((int)end), 8);
        int total = checked(keyIdAt + BundleFormat.TrailerSize);

        var b = new byte[total];
        PutU64(b, BundleFormat.OffMagic, BundleFormat.Magic);
        PutU16(b, BundleFormat.OffVersion, BundleFormat.Version);
        PutU16(b, BundleFormat.OffHeaderSize, BundleFormat.HeaderSize);
        b[BundleFormat.OffArch] = (byte)arch;
        PutU32(b, BundleFormat.OffTotalSize, (uint)total);
        PutU32(b, BundleFormat.OffBaseLevel, baseLevel);
        PutU64(b, BundleFormat.OffSequence, sequence);
        buildId.CopyTo(b, BundleFormat.OffBuildId);
        for (int p = 0; p < BundleFormat.PartCount; p++)
        {
            PutU32(b, BundleFormat.OffParts + 8 * p, (uint)offsets[p]);
            PutU32(b, BundleFormat.OffParts + 8 * p + 4, (uint)parts[p].Length);
            parts[p].CopyTo(b, offsets[p]);
        }
        keyId.CopyTo(b.AsSpan(keyIdAt));

        byte[] signature = sign(b[..(keyIdAt + BundleFormat.KeyIdSize)]);
        if (signature.Length != BundleFormat.SignatureSize) throw new ArgumentException("signature must be 64 bytes");
        signature.CopyTo(b, keyIdAt + BundleFormat.KeyIdSize);
        return b;
    }

    public static void PutU16(Span<byte> b, int at, ushort v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); }
    public static void PutU32(Span<byte> b, int at, uint v) { for (int i = 0; i < 4; i++) b[at + i] = (byte)(v >> (8 * i)); }
    public static void PutU64(Span<byte> b, int at, ulong v) { for (int i = 0; i < 8; i++) b[at + i] = (byte)(v >> (8 * i)); }
}
