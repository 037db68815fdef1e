using System.Text.Json;
using Molt.Cli.Daemon;
using Spectre.Console;

namespace Molt.Cli.Commands;

/// <summary><c>molt status</c>: GET /status, shown as tables (kernel, patch stack, classes, recent history) or raw with --json.</summary>
public static class Status
{
    public static int Run(DaemonAddress to, TimeSpan timeout, bool json)
    {
        using var client = new DaemonClient(to, timeout);
        JsonElement s = Fetch(client, out DaemonAnswer answer);
        if (json) Consoles.Raw(answer.Body);
        else Render(s, to);
        return ExitCodes.Done;
    }

    /// <summary>GET /status; anything but 200 with a JSON object is an error.</summary>
    public static JsonElement Fetch(DaemonClient client, out DaemonAnswer answer)
    {
        answer = client.Get("/status");
        if (answer.Status != 200 || answer.Json is not { } s) throw Push.NotTheDaemon(answer, client.Address);
        return s;
    }

    public static void Render(JsonElement s, DaemonAddress to)
    {
        IAnsiConsole o = Consoles.Out;
        string busy = DaemonJson.Str(s, "busy");
        var kernel = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"kernel at {to}")).HideHeaders().AddColumn("fact").AddColumn("value");
        kernel.AddRow("build id", Markup.Escape(DaemonJson.Str(s, "build_id")));
        kernel.AddRow("arch", Markup.Escape(DaemonJson.Str(s, "arch")));
        kernel.AddRow("cpus", $"{DaemonJson.Num(s, "cpus")}");
        kernel.AddRow("uptime", DaemonJson.SinceBoot(DaemonJson.Num(s, "uptime_ms")));
        kernel.AddRow("patch level", $"{DaemonJson.Num(s, "level")}");
        kernel.AddRow("last sequence", $"{DaemonJson.Num(s, "last_sequence")}");
        kernel.AddRow("busy", busy.Length > 0 ? $"[yellow]{Markup.Escape(busy)}[/]" : "no");
        kernel.AddRow("heap in use", DaemonJson.Bytes(DaemonJson.Num(s, "heap_bytes_in_use")));
        // Newer daemons also say how much patch memory is reserved and in use (4 KiB frames).
        if (DaemonJson.Num(s, "patch_memory_reserved_bytes") is long reserved)
            kernel.AddRow("patch memory", $"{DaemonJson.Bytes(reserved)} reserved, {DaemonJson.Num(s, "patch_memory_frames_in_use")} frame(s) in use");
        o.Write(kernel);

        var patches = new Table().Border(TableBorder.Rounded).Title("patch stack (bottom first)")
            .AddColumns("level", "name", "sequence", "applied at", "total", "max blocked", "module");
        foreach (JsonElement p in DaemonJson.Array(s, "patches"))
            patches.AddRow($"{DaemonJson.Num(p, "level")}", Markup.Escape(DaemonJson.Str(p, "name")), $"{DaemonJson.Num(p, "sequence")}",
                DaemonJson.SinceBoot(DaemonJson.Num(p, "applied_at_ms")), DaemonJson.Micros(DaemonJson.Num(p, "total_us")),
                DaemonJson.Micros(DaemonJson.Num(p, "max_blocked_us")), DaemonJson.Bytes(DaemonJson.Num(p, "module_bytes")));
        if (patches.Rows.Count == 0) o.MarkupLine("patch stack: empty (level 0: the kernel as booted)");
        else o.Write(patches);

        var classes = new Table().Border(TableBorder.Rounded).Title("updatable classes").AddColumns("class", "version");
        foreach (JsonElement c in DaemonJson.Array(s, "classes"))
            classes.AddRow(Markup.Escape(DaemonJson.Str(c, "name")), $"{DaemonJson.Num(c, "version")}");
        if (classes.Rows.Count == 0) o.MarkupLine("updatable classes: none published");
        else o.Write(classes);

        var history = new Table().Border(TableBorder.Rounded).Title("recent history (oldest first)")
            .AddColumns("at", "event", "name", "sequence", "level", "total", "max blocked", "reason");
        foreach (JsonElement h in DaemonJson.Array(s, "history"))
        {
            string ev = DaemonJson.Str(h, "event");
            string shown = ev switch { "applied" => "[green]applied[/]", "refused" => "[red]refused[/]", "rolled_back" => "[yellow]rolled back[/]", _ => Markup.Escape(ev) };
            history.AddRow(DaemonJson.SinceBoot(DaemonJson.Num(h, "at_ms")), shown, Markup.Escape(DaemonJson.Str(h, "name")), $"{DaemonJson.Num(h, "sequence")}",
                $"{DaemonJson.Num(h, "level")}", DaemonJson.Micros(DaemonJson.Num(h, "total_us")), DaemonJson.Micros(DaemonJson.Num(h, "max_blocked_us")),
                Markup.Escape(DaemonJson.Str(h, "reason")));
        }
        if (history.Rows.Count == 0) o.MarkupLine("history: no updates yet");
        else o.Write(history);
    }
}
