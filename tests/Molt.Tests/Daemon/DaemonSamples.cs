using System.Text;
using Molt.Tests.Cli;
using Xunit;

namespace Molt.Tests.Daemon;

/// <summary>The daemon's answers as docs/update-daemon.md writes them, and helpers to run molt against a fake.</summary>
public static class DaemonSamples
{
    public const string BuildIdHex = "3f1c0000000000000000000000000000000000000000000000000000000000a5";

    public const string Applied =
        """{"outcome": "applied", "name": "kv-fix-case", "sequence": 1, "level": 1, "bytes": 26512, "module_bytes": 20480, "timings_us": {"receive": 8100, "parse": 12, "verify": 5800, "link": 9800, "init": 310, "swap": 17200, "total": 41200, "max_blocked": 0}}""";

    public static string Refused(string step, int status, string reason, long offset = -1, string detail = "", int level = 0) =>
        $$"""{"outcome": "refused", "step": "{{step}}", "status": {{status}}, "reason": "{{reason}}", "offset": {{offset}}, "detail": "{{detail}}", "level": {{level}}}""";

    public const string Busy =
        """{"outcome": "busy", "step": "busy", "status": 409, "reason": "another update is in progress: kv-fix-case (applying)", "offset": -1, "detail": "", "level": 0}""";

    /// <summary>Level 2; note last_sequence (7) is above the top patch's sequence (5): refused and rolled-back patches used 2..4 and 6..7.</summary>
    public static string Status(int level = 2, string arch = "arm64", string? busy = null)
    {
        string patches = string.Join(", ", new[]
        {
            """{"level": 1, "name": "kv-fix-case", "sequence": 1, "applied_at_ms": 80211, "total_us": 35300, "max_blocked_us": 0, "module_bytes": 20480}""",
            """{"level": 2, "name": "kv-logging", "sequence": 5, "applied_at_ms": 95000, "total_us": 41000, "max_blocked_us": 120, "module_bytes": 31000}""",
        }.Take(level));
        string busyJson = busy == null ? "null" : $"\"{busy}\"";
        return $$"""
            {
              "build_id": "{{BuildIdHex}}",
              "arch": "{{arch}}",
              "cpus": 4,
              "uptime_ms": 181234,
              "level": {{level}},
              "last_sequence": 7,
              "busy": {{busyJson}},
              "heap_bytes_in_use": 1234567,
              "patch_memory_reserved_bytes": 67108864,
              "patch_memory_frames_in_use": 14,
              "patches": [{{patches}}],
              "history": [
                {"event": "applied", "name": "kv-fix-case", "sequence": 1, "level": 1, "at_ms": 80211, "total_us": 35300, "max_blocked_us": 0, "reason": ""},
                {"event": "refused", "name": "kv-bad", "sequence": 2, "level": 1, "at_ms": 81000, "total_us": 900, "max_blocked_us": 0, "reason": "undefined symbol Foo"},
                {"event": "applied", "name": "kv-logging", "sequence": 5, "level": 2, "at_ms": 95000, "total_us": 41000, "max_blocked_us": 120, "reason": ""},
                {"event": "rolled_back", "name": "kv-extra", "sequence": 7, "level": 2, "at_ms": 99000, "total_us": 1800, "max_blocked_us": 0, "reason": ""}
              ],
              "classes": [{"name": "kv", "version": 2}, {"name": "kv-log", "version": 1}]
            }
            """;
    }

    public static string RolledBack(int from, int level) =>
        $$"""{"outcome": "rolled_back", "from": {{from}}, "level": {{level}}, "total_us": 1800, "max_blocked_us": 0}""";

    /// <summary>The stderr lines that are not upload progress ("molt: uploading ...").</summary>
    public static string[] ErrorLines(ToolResult r) =>
        r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("molt: uploading ", StringComparison.Ordinal)).ToArray();

    /// <summary>Exit <paramref name="exit"/> and exactly one error line (after any progress lines): returns it.</summary>
    public static string AssertError(ToolResult r, int exit)
    {
        Assert.True(r.ExitCode == exit, $"expected exit {exit}\n{r}");
        string[] lines = ErrorLines(r);
        Assert.True(lines.Length == 1, r.ToString());
        Assert.StartsWith("molt: error: ", lines[0]);
        Assert.EndsWith(lines[0], r.Stderr.TrimEnd('\n'));
        return lines[0];
    }

    public static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
