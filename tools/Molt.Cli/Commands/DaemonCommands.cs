using System.CommandLine;
using Molt.Cli.Daemon;

namespace Molt.Cli.Commands;

/// <summary>The commands that talk to a running kernel's update daemon: push, status, rollback (docs/update-daemon.md).</summary>
public static class DaemonCommands
{
    private const string ExitCodesHelp = "Exit status: 0 done, 1 refused, 2 bad command line, 3 busy, 4 unreachable or timed out.";

    public static void AddTo(RootCommand root)
    {
        // ---- push ----
        var bundle = new Argument<string>("bundle") { Description = "A signed bundle (molt patch build writes <dir>/build/<name>-<sequence>.<arch>.mpatch)" };
        var pushTo = To();
        var pushJson = Json("the kernel's answer");
        var pushTimeout = Timeout(60);
        var push = new Command("push",
            "Send a signed bundle to a running kernel (POST /patches) and show what it did: applied (level, timings) or refused (step, status, reason, byte offset). " +
            "A progress bar on stderr shows the upload. Example: molt push examples/patches/kv-fix-case/build/kv-fix-case-1.x64.mpatch --to 127.0.0.1:7777. " + ExitCodesHelp)
        {
            bundle, pushTo, pushJson, pushTimeout,
        };
        push.SetAction(r => Push.Run(r.GetValue(bundle)!, DaemonAddress.Parse(r.GetValue(pushTo)!), Seconds(r.GetValue(pushTimeout)), r.GetValue(pushJson)));
        root.Subcommands.Add(push);

        // ---- status ----
        var statusTo = To();
        var statusJson = Json("GET /status's JSON");
        var statusTimeout = Timeout(10);
        var status = new Command("status",
            "Show a running kernel's update state (GET /status): build id, arch, CPUs, uptime, patch level, the patch stack, the updatable classes and their versions, recent updates. " +
            "Example: molt status --to 127.0.0.1:7777. " + ExitCodesHelp)
        {
            statusTo, statusJson, statusTimeout,
        };
        status.SetAction(r => Status.Run(DaemonAddress.Parse(r.GetValue(statusTo)!), Seconds(r.GetValue(statusTimeout)), r.GetValue(statusJson)));
        root.Subcommands.Add(status);

        // ---- rollback ----
        var rbTo = To();
        var rbLevel = new Option<uint?>("--level") { Description = "The patch level to return to (default: one below the current level; 0 undoes every patch)" };
        var rbKey = new Option<string?>("--key") { Description = "Secret key file to sign the request with (default: <root>/build/keys/molt-signing.key, as patch build)" };
        var rbJson = Json("the kernel's answer");
        var rbTimeout = Timeout(30);
        var rollback = new Command("rollback",
            "Undo the top patch of a running kernel, or every patch above --level (POST /rollback with a request signed for the kernel's current level and top patch, so it cannot be replayed). " +
            "Example: molt rollback --to 127.0.0.1:7777 --level 0. " + ExitCodesHelp)
        {
            rbTo, rbLevel, rbKey, rbJson, rbTimeout,
        };
        rollback.SetAction(r => Rollback.Run(DaemonAddress.Parse(r.GetValue(rbTo)!), r.GetValue(rbLevel), r.GetValue(rbKey), Seconds(r.GetValue(rbTimeout)), r.GetValue(rbJson)));
        root.Subcommands.Add(rollback);
    }

    private static Option<string> To()
    {
        var to = new Option<string>("--to") { Description = $"The daemon's address, HOST:PORT (make run forwards {DaemonAddress.Default})", DefaultValueFactory = _ => DaemonAddress.Default };
        to.Validators.Add(result =>
        {
            if (!DaemonAddress.TryParse(result.GetValueOrDefault<string>(), out _, out string why)) result.AddError(why);
        });
        return to;
    }

    private static Option<bool> Json(string what) => new("--json") { Description = $"Print {what} as raw JSON on stdout instead of a summary (the exit status is the same)" };

    private static Option<double> Timeout(double seconds)
    {
        var t = new Option<double>("--timeout") { Description = $"Give up (exit 4) when the whole exchange takes longer than this many seconds", DefaultValueFactory = _ => seconds };
        t.Validators.Add(result =>
        {
            double v = result.GetValueOrDefault<double>();
            if (!(v > 0 && v <= 3600)) result.AddError($"--timeout {v}: give a number of seconds above 0 and at most 3600");
        });
        return t;
    }

    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(s);
}
