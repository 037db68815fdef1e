using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Molt.Cli.Keys;

/// <summary>
/// Ed25519 key files (docs/patching.md, "Keys"). Both are one text line:
///   molt-signing.key  "molt-ed25519-secret &lt;64 hex: the 32-byte seed&gt;"  (mode 0600)
///   molt-signing.pub  "molt-ed25519-public &lt;64 hex: the 32-byte public key&gt;"
/// A key's id is the first 8 bytes of SHA-512(public key): bundles carry it
/// so the kernel can say "signed by another key" before checking a signature.
/// </summary>
public static class SigningKeys
{
    public const string SecretTag = "molt-ed25519-secret";
    public const string PublicTag = "molt-ed25519-public";
    public const string DefaultBaseName = "molt-signing";

    public sealed record KeyPair(byte[] Seed, byte[] PublicKey);

    public static KeyPair Generate()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        var secret = new Ed25519PrivateKeyParameters(seed, 0);
        return new KeyPair(seed, secret.GeneratePublicKey().GetEncoded());
    }

    /// <summary>Writes &lt;dir&gt;/&lt;baseName&gt;.key (0600) and .pub; refuses to overwrite unless <paramref name="force"/>.</summary>
    public static (string SecretPath, string PublicPath) WritePair(KeyPair pair, string dir, string baseName, bool force)
    {
        Directory.CreateDirectory(dir);
        string secretPath = Path.Combine(dir, baseName + ".key");
        string publicPath = Path.Combine(dir, baseName + ".pub");
        if (!force)
            foreach (string p in new[] { secretPath, publicPath })
                if (File.Exists(p)) throw new CliError($"{p} already exists (use --force to replace it)");
        if (force) File.Delete(secretPath);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var s = new FileStream(secretPath, options))
            s.Write(Encoding.ASCII.GetBytes($"{SecretTag} {Convert.ToHexStringLower(pair.Seed)}\n"));
        File.WriteAllText(publicPath, $"{PublicTag} {Convert.ToHexStringLower(pair.PublicKey)}\n");
        return (secretPath, publicPath);
    }

    public static byte[] ReadSecretSeed(string path) => ReadTagged(path, SecretTag);

    public static byte[] ReadPublicKey(string path)
    {
        // A secret key file also names its public key: accept either.
        string text = ReadText(path);
        if (text.StartsWith(SecretTag + " ", StringComparison.Ordinal)) return PublicKeyOf(ReadTagged(path, SecretTag));
        return ReadTagged(path, PublicTag);
    }

    public static byte[] PublicKeyOf(byte[] seed) => new Ed25519PrivateKeyParameters(seed, 0).GeneratePublicKey().GetEncoded();

    public static byte[] KeyId(byte[] publicKey) => SHA512.HashData(publicKey)[..8];

    public static byte[] Sign(byte[] seed, byte[] message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(seed, 0));
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    public static bool Verify(byte[] publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        byte[] m = message.ToArray();
        verifier.BlockUpdate(m, 0, m.Length);
        return verifier.VerifySignature(signature.ToArray());
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new CliError($"key file {path} does not exist");
        return File.ReadAllText(path).Trim();
    }

    private static byte[] ReadTagged(string path, string tag)
    {
        string text = ReadText(path);
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 2 || words[0] != tag)
            throw new CliError($"{path} is not a Molt key file (expected one line \"{tag} <64 hex digits>\")");
        if (words[1].Length != 64 || !words[1].All(Uri.IsHexDigit))
            throw new CliError($"{path}: the key is not 64 hex digits");
        return Convert.FromHexString(words[1]);
    }

    /// <summary>The public key for the kernel image, in a form its build can embed.</summary>
    public static byte[] Export(byte[] publicKey, string format)
    {
        string idHex = Convert.ToHexStringLower(KeyId(publicKey));
        switch (format)
        {
            case "bin":
                return publicKey;
            case "hex":
                return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(publicKey) + "\n");
            case "asm":
            {
                var sb = new StringBuilder();
                sb.Append("/* Molt's trusted patch-signing key (Ed25519), key id ").Append(idHex).Append(". Generated by `molt key export --format asm`. */\n");
                sb.Append(".section .rodata.molt_trusted_key, \"a\"\n.balign 8\n.global molt_trusted_public_key\nmolt_trusted_public_key:\n");
                for (int i = 0; i < publicKey.Length; i += 8)
                    sb.Append("    .byte ").Append(string.Join(", ", publicKey.Skip(i).Take(8).Select(x => $"0x{x:x2}"))).Append('\n');
                sb.Append(".global molt_trusted_key_id\nmolt_trusted_key_id:\n    .byte ")
                  .Append(string.Join(", ", KeyId(publicKey).Select(x => $"0x{x:x2}"))).Append('\n');
                sb.Append(".section .note.GNU-stack, \"\", %progbits\n");
                return Encoding.ASCII.GetBytes(sb.ToString());
            }
            case "cs":
            {
                var sb = new StringBuilder();
                sb.Append("// Molt's trusted patch-signing key (Ed25519), key id ").Append(idHex).Append(". Generated by `molt key export --format cs`.\n");
                sb.Append("namespace Molt.Update.Trust\n{\n    public static class TrustedKey\n    {\n");
                sb.Append("        public static System.ReadOnlySpan<byte> PublicKey => new byte[] { ")
                  .Append(string.Join(", ", publicKey.Select(x => $"0x{x:x2}"))).Append(" };\n");
                sb.Append("        public static System.ReadOnlySpan<byte> KeyId => new byte[] { ")
                  .Append(string.Join(", ", KeyId(publicKey).Select(x => $"0x{x:x2}"))).Append(" };\n");
                sb.Append("    }\n}\n");
                return Encoding.ASCII.GetBytes(sb.ToString());
            }
            default:
                throw new CliError($"unknown export format '{format}' (bin, hex, asm, cs)");
        }
    }
}
