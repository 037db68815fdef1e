using System.Text.Json;
using Molt.Cli.Bundles;
using Molt.Cli.Daemon;
using Molt.Cli.Keys;
using Molt.Cli.Patches;
using Molt.Update.Bundles;
using Spectre.Console;

namespace Molt.Cli.Commands;

/// <summary>
/// <c>molt rollback</c>: undo the top patch (or down to --level N).
/// 1. Read the signing key (no network before the key is known good).
/// 2. GET /status: level, arch, build id, and the sequence of the patch on
///    top (from the patch stack; not last_sequence, which survives rollbacks).
/// 3. Refuse locally when there is nothing to undo (level 0) or N is not
///    below the level.
/// 4. Write and sign the 136-byte request for exactly that state, check it
///    with the kernel's own <see cref="RollbackReader"/>, POST /rollback.
/// 5. Summarize the answer (or print it raw with --json).
/// A request made for one state is stale in any other (docs/update-daemon.md):
/// if the kernel changed between steps 2 and 4 it refuses with 409.
/// </summary>
public static class Rollback
{
    public static int Run(DaemonAddress to, uint? level, string? keyPath, TimeSpan timeout, bool json)
    {
        keyPath ??= DefaultKeyPath();
        byte[] seed = SigningKeys.ReadSecretSeed(keyPath);
        byte[] keyId = SigningKeys.KeyId(SigningKeys.PublicKeyOf(seed));

        using var client = new DaemonClient(to, timeout);
        JsonElement status = Status.Fetch(client, out _);
        long current = DaemonJson.Num(status, "level") ?? throw Inconsistent(to, "no \"level\"");
        if (current is < 0 or > uint.MaxValue) throw Inconsistent(to, $"level {current}");
        if (current == 0) throw new CliError($"nothing to roll back: {to} is at level 0 (the kernel as booted)", ExitCodes.Refused);
        uint target = level ?? (uint)(current - 1);
        if (target >= current)
            throw new CliError($"cannot roll back {to} to level {target}: it is at level {current} (choose a level from 0 to {current - 1})", ExitCodes.Refused);

        BundleArch arch = DaemonJson.Str(status, "arch") switch
        {
            "x64" => BundleArch.X64,
            "arm64" => BundleArch.Arm64,
            string other => throw Inconsistent(to, $"unknown arch \"{other}\""),
        };
        string buildIdHex = DaemonJson.Str(status, "build_id");
        if (buildIdHex.Length != 2 * BundleFormat.BuildIdSize || !buildIdHex.All(Uri.IsHexDigit))
            throw Inconsistent(to, $"build id \"{buildIdHex}\" is not {2 * BundleFormat.BuildIdSize} hex digits");
        JsonElement[] stack = DaemonJson.Array(status, "patches").ToArray();
        JsonElement top = stack.LastOrDefault(p => DaemonJson.Num(p, "level") == current);
        if (top.ValueKind != JsonValueKind.Object || DaemonJson.Num(top, "sequence") is not long topSequence || topSequence < 0)
            throw Inconsistent(to, $"no patch with a sequence at level {current} in \"patches\"");

        byte[] request = RollbackWriter.Write(new RollbackContents
        {
            Arch = arch,
            FromLevel = (uint)current,
            ToLevel = target,
            TopSequence = (ulong)topSequence,
            BuildId = Convert.FromHexString(buildIdHex),
        }, keyId, m => SigningKeys.Sign(seed, m));
        if (!RollbackReader.TryParse(request, out _, out BundleError e))
            throw new CliError($"molt wrote a rollback request its kernel's reader refuses ({e.Reason}, byte {e.Offset}): a bug in molt");

        DaemonAnswer answer = client.Post("/rollback", request, expectContinue: false);
        if (json) Consoles.Raw(answer.Body);
        if (answer.Json is not { } a) throw Push.NotTheDaemon(answer, to);
        switch (answer.Outcome)
        {
            case "rolled_back" when answer.Status == 200:
                if (!json) Summarize(a, stack, target, to);
                return ExitCodes.Done;
            case "busy":
                throw Refusals.Busy(answer, to);
            default:
                throw Refusals.Refused($"the kernel refused the rollback from level {current} to level {target}", answer);
        }
    }

    private static void Summarize(JsonElement a, JsonElement[] stack, uint target, DaemonAddress to)
    {
        // What was undone, top first, as the status before showed it.
        string[] undone = stack.Where(p => DaemonJson.Num(p, "level") > target).Reverse()
            .Select(p => $"{DaemonJson.Str(p, "name")} (sequence {DaemonJson.Num(p, "sequence")})").ToArray();
        Consoles.Say($"[green]rolled back[/] {Markup.Escape(to.ToString())} from level {DaemonJson.Num(a, "from")} to level {DaemonJson.Num(a, "level")}" +
            (undone.Length > 0 ? $": undid {Markup.Escape(string.Join(", ", undone))}" : "") +
            $"; took {DaemonJson.Micros(DaemonJson.Num(a, "total_us"))}, max blocked {DaemonJson.Micros(DaemonJson.Num(a, "max_blocked_us"))}");
    }

    private static CliError Inconsistent(DaemonAddress to, string what) =>
        new($"{to}'s /status cannot be used for a rollback: {what}", ExitCodes.Refused);

    /// <summary>The key `molt patch build` signs with: &lt;tree&gt;/build/keys/molt-signing.key.</summary>
    private static string DefaultKeyPath()
    {
        Toolchain tree;
        try
        {
            tree = Toolchain.Find(null);
        }
        catch (CliError)
        {
            throw new CliError("no --key given, and no Molt tree to find build/keys/molt-signing.key in (run inside the tree or set MOLT_ROOT)");
        }
        string path = Path.Combine(tree.Root, "build", "keys", SigningKeys.DefaultBaseName + ".key");
        if (!File.Exists(path)) throw new CliError($"no signing key at {path} (make keys, or --key <file>)");
        return path;
    }
}
