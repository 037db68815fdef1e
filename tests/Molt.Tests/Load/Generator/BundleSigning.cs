using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Molt.Load;

/// <summary>
/// Signing on the host with the tree's key (build/keys/molt-signing.key):
/// bundles re-signed after a header edit, and rollback requests
/// (docs/update-daemon.md, "Rollback request format").
/// </summary>
public static class BundleSigning
{
    /// <summary>The 32-byte Ed25519 seed in <c>&lt;root&gt;/build/keys/molt-signing.key</c> ("molt-ed25519-secret HEX").</summary>
    public static byte[] TreeSeed(string root) => ReadSeed(Path.Combine(root, "build", "keys", "molt-signing.key"));

    public static byte[] ReadSeed(string keyFile)
    {
        string[] words = File.ReadAllText(keyFile).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 2 || words[0] != "molt-ed25519-secret") throw new InvalidDataException($"{keyFile}: not a molt secret key");
        return Convert.FromHexString(words[1]);
    }

    /// <summary>The key id bundles and rollback requests carry: the first 8 bytes of SHA-512(public key).</summary>
    public static byte[] KeyId(byte[] seed) => SHA512.HashData(new Ed25519PrivateKeyParameters(seed, 0).GeneratePublicKey().GetEncoded())[..8];

    public static byte[] Sign(byte[] seed, ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(seed, 0));
        byte[] m = message.ToArray();
        signer.BlockUpdate(m, 0, m.Length);
        return signer.GenerateSignature();
    }

    /// <summary>A copy changed by <paramref name="edit"/>, then signed again with <paramref name="seed"/> (key id and signature).</summary>
    public static byte[] Resign(byte[] bundle, Action<byte[]> edit, byte[] seed)
    {
        var b = (byte[])bundle.Clone();
        edit(b);
        int sigAt = b.Length - 64, idAt = sigAt - 8;
        KeyId(seed).CopyTo(b, idAt);
        Sign(seed, b.AsSpan(0, sigAt)).CopyTo(b, sigAt);
        return b;
    }

    /// <summary>
    /// The same bundle for another place in the patch sequence: base level
    /// (header byte 20) and sequence (byte 24) replaced, signed again. The
    /// object is unchanged (its symbols keep the prefix of the sequence it
    /// was built with); both fields are header fields the signature covers.
    /// </summary>
    public static byte[] WithPlace(byte[] bundle, uint baseLevel, ulong sequence, byte[] seed) => Resign(bundle, b =>
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), baseLevel);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), sequence);
    }, seed);

    public static string NameOf(byte[] bundle)
    {
        int off = (int)BinaryPrimitives.ReadUInt32LittleEndian(bundle.AsSpan(64)), len = (int)BinaryPrimitives.ReadUInt32LittleEndian(bundle.AsSpan(68));
        return System.Text.Encoding.UTF8.GetString(bundle, off, len);
    }

    /// <summary>A signed rollback request (136 bytes) from <paramref name="fromLevel"/> (whose top patch has <paramref name="topSequence"/>) to <paramref name="toLevel"/>.</summary>
    public static byte[] RollbackRequest(byte arch, uint fromLevel, uint toLevel, ulong topSequence, byte[] buildId, byte[] seed)
    {
        if (buildId.Length != 32) throw new ArgumentException("a build id is 32 bytes");
        byte[] r = new byte[136];
        "MOLTRLBK"u8.CopyTo(r);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(10), 136);
        r[12] = arch;
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(16), fromLevel);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(20), toLevel);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(24), topSequence);
        buildId.CopyTo(r, 32);
        KeyId(seed).CopyTo(r, 64);
        Sign(seed, r.AsSpan(0, 72)).CopyTo(r, 72);
        return r;
    }
}
