using System.Text;

namespace Molt.Cli.Patches;

/// <summary><c>molt patch new</c>: a patch project folder with patch.json and an entry skeleton.</summary>
public static class PatchProject
{
    public static string Create(string name, string? outputDir)
    {
        string dir = Path.GetFullPath(outputDir ?? name);
        if (File.Exists(Path.Combine(dir, PatchManifest.FileName)))
            throw new CliError($"{Path.Combine(dir, PatchManifest.FileName)} already exists");
        if (Encoding.UTF8.GetByteCount(name) is 0 or > Update.Bundles.BundleFormat.MaxNameBytes)
            throw new CliError($"the patch name must be 1 to {Update.Bundles.BundleFormat.MaxNameBytes} bytes");
        if (name.Any(char.IsControl)) throw new CliError("the patch name has a control character");
        Directory.CreateDirectory(dir);

        var manifest = new PatchManifest
        {
            Name = name,
            Description = "",
            BaseLevel = 0,
            Sequence = 1,
            Arch = "all",
            Updates = [new ManifestUpdate { Kind = "new-type", Target = name, From = 0, To = 1 }],
        };
        File.WriteAllText(Path.Combine(dir, PatchManifest.FileName), manifest.ToJson());
        File.WriteAllText(Path.Combine(dir, "Patch.cs"), Skeleton(Namespace(name)));
        File.WriteAllText(Path.Combine(dir, ".gitignore"), "obj/\nbuild/\n");
        return dir;
    }

    /// <summary>A C# namespace made from a patch name: Patches.&lt;Name&gt;.</summary>
    public static string Namespace(string name)
    {
        var sb = new StringBuilder();
        bool upper = true;
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c)) { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, 'P');
        return "Patches." + sb;
    }

    private static string Skeleton(string ns) => $$"""
        // A Molt patch (docs/patching.md). Built with: molt patch build <this folder>
        // Rules: implement only generic kernel interfaces over reference types, or
        // derive from abstract kernel classes and override only abstract members.
        using Molt.Update;

        namespace {{ns}}
        {
            /// <summary>The patch's entry: the kernel calls Register once, after linking the patch.</summary>
            public static class PatchMain
            {
                /// <summary>Registers the patch's factories and versions; false refuses the patch.</summary>
                public static bool Register()
                {
                    return true;
                }
            }
        }

        """;
}
