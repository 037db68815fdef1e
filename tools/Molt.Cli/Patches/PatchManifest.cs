using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Molt.Cli.Bundles;
using Molt.Update.Bundles;

namespace Molt.Cli.Patches;

/// <summary>One update in patch.json.</summary>
public sealed class ManifestUpdate
{
    /// <summary>class-eager, class-lazy, object-swap or new-type.</summary>
    public string Kind { get; set; } = "";
    public string Target { get; set; } = "";
    public uint From { get; set; }
    public uint To { get; set; }
}

/// <summary>
/// patch.json: what a patch project says about itself (docs/patching.md,
/// "Patch projects"). Unknown fields are refused, so a misspelt field is
/// not silently ignored.
/// </summary>
public sealed class PatchManifest
{
    public const string FileName = "patch.json";

    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public uint BaseLevel { get; set; }
    public ulong Sequence { get; set; }
    /// <summary>x64, arm64 or all.</summary>
    public string Arch { get; set; } = "all";
    public List<ManifestUpdate> Updates { get; set; } = [];

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public static PatchManifest Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new CliError($"{path} does not exist (is {dir} a patch project? molt patch new makes one)");
        PatchManifest? m;
        try { m = JsonSerializer.Deserialize<PatchManifest>(File.ReadAllText(path), s_json); }
        catch (JsonException e) { throw new CliError($"{path}: {e.Message}"); }
        if (m == null) throw new CliError($"{path} is empty");
        m.Validate(path);
        return m;
    }

    public string ToJson() => JsonSerializer.Serialize(this, s_json) + "\n";

    public static UpdateKind ParseKind(string kind) => kind switch
    {
        "class-eager" => UpdateKind.ClassEager,
        "class-lazy" => UpdateKind.ClassLazy,
        "object-swap" => UpdateKind.ObjectSwap,
        "new-type" => UpdateKind.NewType,
        _ => UpdateKind.None,
    };

    public static string KindName(UpdateKind kind) => kind switch
    {
        UpdateKind.ClassEager => "class-eager",
        UpdateKind.ClassLazy => "class-lazy",
        UpdateKind.ObjectSwap => "object-swap",
        UpdateKind.NewType => "new-type",
        _ => $"unknown ({(byte)kind})",
    };

    public IReadOnlyList<UpdateSpec> UpdateSpecs() =>
        Updates.Select(u => new UpdateSpec(ParseKind(u.Kind), u.Target, u.From, u.To)).ToList();

    /// <summary>The bundle's limits, checked here so the user sees the field's name rather than a byte offset.</summary>
    private void Validate(string path)
    {
        int nameBytes = Encoding.UTF8.GetByteCount(Name);
        if (nameBytes == 0) throw new CliError($"{path}: \"name\" is empty");
        if (nameBytes > BundleFormat.MaxNameBytes) throw new CliError($"{path}: \"name\" is {nameBytes} bytes (at most {BundleFormat.MaxNameBytes})");
        if (Name.Any(char.IsControl)) throw new CliError($"{path}: \"name\" has a control character");
        int descBytes = Encoding.UTF8.GetByteCount(Description);
        if (descBytes > BundleFormat.MaxDescriptionBytes) throw new CliError($"{path}: \"description\" is {descBytes} bytes (at most {BundleFormat.MaxDescriptionBytes})");
        if (Sequence == 0) throw new CliError($"{path}: \"sequence\" must be at least 1 (it must rise with every bundle signed by one key)");
        if (Arch is not ("x64" or "arm64" or "all")) throw new CliError($"{path}: \"arch\" is '{Arch}' (x64, arm64 or all)");
        if (Updates.Count == 0) throw new CliError($"{path}: \"updates\" is empty: a bundle performs at least one update");
        if (Updates.Count > BundleFormat.MaxUpdates) throw new CliError($"{path}: {Updates.Count} updates (at most {BundleFormat.MaxUpdates})");
        for (int i = 0; i < Updates.Count; i++)
        {
            ManifestUpdate u = Updates[i];
            string at = $"{path}: updates[{i}]";
            UpdateKind kind = ParseKind(u.Kind);
            if (kind == UpdateKind.None) throw new CliError($"{at}.kind is '{u.Kind}' (class-eager, class-lazy, object-swap or new-type)");
            int tb = Encoding.UTF8.GetByteCount(u.Target);
            if (tb == 0) throw new CliError($"{at}.target is empty");
            if (tb > BundleFormat.MaxTargetBytes) throw new CliError($"{at}.target is {tb} bytes (at most {BundleFormat.MaxTargetBytes})");
            if (u.Target.Any(char.IsControl)) throw new CliError($"{at}.target has a control character");
            if (kind == UpdateKind.NewType ? u.From != 0 || u.To < 1 : u.From < 1 || u.To <= u.From)
                throw new CliError(kind == UpdateKind.NewType
                    ? $"{at}: a new-type update has from 0 and to >= 1 (has from {u.From}, to {u.To})"
                    : $"{at}: an update goes from version >= 1 to a higher one (has from {u.From}, to {u.To})");
        }
    }
}
