using System.Security.Cryptography;
using System.Text;
using Molt.Cli.Keys;
using Molt.Cli.Patches;
using Molt.Update.Bundles;

namespace Molt.Cli.Commands;

/// <summary><c>molt patch inspect</c>: every field of a bundle, its signature status and the object's symbols.</summary>
public static class Inspect
{
    /// <summary>Writes the report to <paramref name="o"/>; throws <see cref="CliError"/> when the bundle is refused or its signature fails.</summary>
    public static void Run(string path, string? keyPath, bool showSymbols, TextWriter o)
    {
        if (!File.Exists(path)) throw new CliError($"{path} does not exist");
        byte[] bytes = File.ReadAllBytes(path);
        if (!BundleReader.TryParse(bytes, out BundleView v, out BundleError e))
            throw new CliError($"{path}: {e.Reason} (byte offset {e.Offset}{(e.Index >= 0 ? $", update {e.Index}" : "")})");

        o.WriteLine($"bundle        {path} ({bytes.Length} bytes, format version {BundleFormat.Version})");
        o.WriteLine($"name          {Encoding.UTF8.GetString(v.Name)}");
        o.WriteLine($"description   {Encoding.UTF8.GetString(v.Description).Replace("\n", "\n              ")}");
        o.WriteLine($"arch          {Toolchain.ArchName(v.Arch)}");
        o.WriteLine($"build id      {Convert.ToHexStringLower(v.BuildId)}");
        o.WriteLine($"base level    {v.BaseLevel}");
        o.WriteLine($"sequence      {v.Sequence}");
        o.WriteLine($"entry symbol  {Encoding.ASCII.GetString(v.EntrySymbol)}");
        o.WriteLine($"updates       {v.UpdateCount}");
        for (int i = 0; i < v.UpdateCount; i++)
        {
            BundleUpdate u = v.GetUpdate(i);
            o.WriteLine($"  [{i}] {PatchManifest.KindName(u.Kind),-12} {Encoding.UTF8.GetString(u.Target)}  v{u.FromVersion} -> v{u.ToVersion}");
        }
        o.WriteLine($"object        {v.Object.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(v.Object))}");
        o.WriteLine($"key id        {Convert.ToHexStringLower(v.KeyId)}");
        o.WriteLine($"signature     {Convert.ToHexStringLower(v.Signature)}");

        string? signatureFailure = null;
        if (keyPath == null)
            o.WriteLine("verified      no (give --key <public key file>)");
        else
        {
            byte[] publicKey = SigningKeys.ReadPublicKey(keyPath);
            byte[] keyId = SigningKeys.KeyId(publicKey);
            bool idMatches = keyId.AsSpan().SequenceEqual(v.KeyId);
            bool valid = SigningKeys.Verify(publicKey, v.SignedBytes, v.Signature);
            o.WriteLine($"verified      {(valid ? "valid" : "INVALID")} against {keyPath} (key id {Convert.ToHexStringLower(keyId)}{(idMatches ? ", matches" : ", differs from the bundle's")})");
            if (!valid) signatureFailure = $"{path}: the signature does not verify against {keyPath}{(idMatches ? "" : " (signed by another key: key id " + Convert.ToHexStringLower(v.KeyId) + ")")}";
        }

        PatchObject po = PatchObject.Read(v.Object.ToArray());
        o.WriteLine($"needs         {po.Undefined.Count} undefined symbol(s){(showSymbols ? ":" : " (listed without --summary)")}");
        if (showSymbols) foreach (string s in po.Undefined) o.WriteLine("  " + s);
        o.WriteLine($"defines       {po.Defined.Count} symbol(s){(showSymbols ? ":" : "")}");
        if (showSymbols) foreach (string s in po.Defined) o.WriteLine("  " + s);
        if (signatureFailure != null) throw new CliError(signatureFailure);
    }
}
