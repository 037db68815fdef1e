using System.Text.Json;
using Molt.Cli.Daemon;
using Molt.Update.Bundles;
using Spectre.Console;

namespace Molt.Cli.Commands;

/// <summary>
/// <c>molt push BUNDLE</c>: POST /patches, with a progress bar, then the
/// kernel's answer as a summary (or raw with --json). Exit status: 0
/// applied, 1 refused, 3 busy, 4 unreachable (<see cref="ExitCodes"/>).
///
/// The bundle is not checked here: the kernel is the judge, and says
/// precisely why it refuses. Molt only reads its name, to say what it sent.
/// </summary>
public static class Push
{
    public static int Run(string bundlePath, DaemonAddress to, TimeSpan timeout, bool json)
    {
        if (!File.Exists(bundlePath)) throw new CliError($"{bundlePath} does not exist");
        byte[] bundle = File.ReadAllBytes(bundlePath);
        if (bundle.Length == 0) throw new CliError($"{bundlePath} is empty");
        string name = BundleReader.TryParse(bundle, out BundleView v, out _)
            ? System.Text.Encoding.UTF8.GetString(v.Name)
            : Path.GetFileName(bundlePath);

        using var client = new DaemonClient(to, timeout);
        DaemonAnswer answer = UploadProgress.Run(name, bundle.Length, progress => client.Post("/patches", bundle, progress));
        if (json) Consoles.Raw(answer.Body);
        return Conclude(answer, name, to, json);
    }

    /// <summary>Exit status for the answer; a summary on stdout when applied, else a <see cref="CliError"/>.</summary>
    private static int Conclude(DaemonAnswer answer, string name, DaemonAddress to, bool json)
    {
        if (answer.Json is not { } a) throw NotTheDaemon(answer, to);
        switch (answer.Outcome)
        {
            case "applied" when answer.Status == 200:
                if (!json) Summarize(a, name, to);
                return ExitCodes.Done;
            case "busy":
                throw Refusals.Busy(answer, to);
            default:
                // The daemon names the bundle when it parsed it; else molt's own reading, else the file.
                string refused = DaemonJson.Str(a, "name") is { Length: > 0 } n ? n : name;
                throw Refusals.Refused($"the kernel refused {refused}", answer);
        }
    }

    private static void Summarize(JsonElement a, string name, DaemonAddress to)
    {
        string applied = DaemonJson.Str(a, "name") is { Length: > 0 } n ? n : name;
        Consoles.Say($"[green]applied[/] {Markup.Escape(applied)} on {Markup.Escape(to.ToString())}: level {DaemonJson.Num(a, "level")}, " +
            $"sequence {DaemonJson.Num(a, "sequence")}, {DaemonJson.Num(a, "bytes")} bytes sent, {DaemonJson.Bytes(DaemonJson.Num(a, "module_bytes"))} of patch module");
        if (DaemonJson.Obj(a, "timings_us") is not { } t) return;
        var table = new Table().Border(TableBorder.Rounded).Title("timings").AddColumn("step").AddColumn(new TableColumn("time").RightAligned());
        foreach (string step in new[] { "receive", "parse", "verify", "link", "init", "swap", "total", "max_blocked" })
            if (DaemonJson.Num(t, step) is long us)
                table.AddRow(step == "max_blocked" ? "max blocked" : step, DaemonJson.Micros(us));
        Consoles.Out.Write(table);
    }

    public static CliError NotTheDaemon(DaemonAnswer answer, DaemonAddress to) =>
        new($"{to} answered {answer.Status} {answer.StatusText} without the daemon's JSON (is it the Molt update daemon?): " +
            (answer.Body.Length == 0 ? "empty body" : DaemonJson.Excerpt(answer.Body)), ExitCodes.Refused);
}

/// <summary>The one-line errors for the daemon's refusal and busy answers (docs/update-daemon.md).</summary>
public static class Refusals
{
    /// <summary>"WHAT at STEP (STATUS): REASON (byte N); detail: ...; the kernel stays at level L".</summary>
    public static CliError Refused(string what, DaemonAnswer answer)
    {
        JsonElement a = answer.Json!.Value;
        string step = DaemonJson.Str(a, "step");
        string reason = DaemonJson.Str(a, "reason");
        long? offset = DaemonJson.Num(a, "offset");
        string detail = DaemonJson.Str(a, "detail");
        long? level = DaemonJson.Num(a, "level");
        var line = new System.Text.StringBuilder(what);
        if (step.Length > 0) line.Append(" at ").Append(step);
        line.Append(" (").Append(answer.Status).Append("): ").Append(reason.Length > 0 ? reason : "no reason given");
        if (offset is >= 0) line.Append(" (byte ").Append(offset).Append(')');
        if (detail.Length > 0) line.Append("; detail: ").Append(detail);
        if (level != null) line.Append("; the kernel stays at level ").Append(level);
        return new CliError(line.ToString(), ExitCodes.Refused);
    }

    public static CliError Busy(DaemonAnswer answer, DaemonAddress to)
    {
        string reason = DaemonJson.Str(answer.Json!.Value, "reason");
        return new CliError($"{to} is busy ({answer.Status}): {(reason.Length > 0 ? reason : "another update is in progress")}; try again when it is done", ExitCodes.Busy);
    }
}
