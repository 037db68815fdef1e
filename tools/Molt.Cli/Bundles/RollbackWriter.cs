using Molt.Update.Bundles;

namespace Molt.Cli.Bundles;

/// <summary>What a rollback request says, before signing (docs/update-daemon.md).</summary>
public sealed class RollbackContents
{
    public BundleArch Arch { get; init; }
    /// <summary>The kernel's patch level the request was made for.</summary>
    public uint FromLevel { get; init; }
    public uint ToLevel { get; init; }
    /// <summary>The sequence number of the patch at <see cref="FromLevel"/>.</summary>
    public ulong TopSequence { get; init; }
    public byte[] BuildId { get; init; } = new byte[BundleFormat.BuildIdSize];
}

/// <summary>
/// Writes a rollback request (update/Bundles/RollbackFormat.cs): 136 bytes,
/// the same for the same contents and key (Ed25519 is deterministic). It
/// checks only what would make the bytes ill-formed; the caller parses the
/// result with the kernel's <see cref="RollbackReader"/>.
/// </summary>
public static class RollbackWriter
{
    /// <param name="sign">Signs the bytes it is given (bytes 0..71) and returns 64 bytes.</param>
    public static byte[] Write(RollbackContents c, ReadOnlySpan<byte> keyId, Func<byte[], byte[]> sign)
    {
        if (c.BuildId.Length != BundleFormat.BuildIdSize) throw new ArgumentException("build id must be 32 bytes");
        if (keyId.Length != BundleFormat.KeyIdSize) throw new ArgumentException("key id must be 8 bytes");
        var b = new byte[RollbackFormat.Size];
        BundleWriter.PutU64(b, RollbackFormat.OffMagic, RollbackFormat.Magic);
        BundleWriter.PutU16(b, RollbackFormat.OffVersion, RollbackFormat.Version);
        BundleWriter.PutU16(b, RollbackFormat.OffTotalSize, RollbackFormat.Size);
        b[RollbackFormat.OffArch] = (byte)c.Arch;
        BundleWriter.PutU32(b, RollbackFormat.OffFromLevel, c.FromLevel);
        BundleWriter.PutU32(b, RollbackFormat.OffToLevel, c.ToLevel);
        BundleWriter.PutU64(b, RollbackFormat.OffTopSequence, c.TopSequence);
        c.BuildId.CopyTo(b, RollbackFormat.OffBuildId);
        keyId.CopyTo(b.AsSpan(RollbackFormat.OffKeyId));
        byte[] signature = sign(b[..RollbackFormat.SignedSize]);
        if (signature.Length != BundleFormat.SignatureSize) throw new ArgumentException("signature must be 64 bytes");
        signature.CopyTo(b, RollbackFormat.OffSignature);
        return b;
    }
}
