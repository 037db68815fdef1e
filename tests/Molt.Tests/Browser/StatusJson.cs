using System.Text.Json;
using System.Text.Json.Nodes;

namespace Molt.Tests.Browser;

/// <summary>
/// <c>GET /status</c> documents as docs/update-daemon.md specifies them, for
/// the scripted server: a freshly booted kernel, then one with a patch applied.
/// </summary>
public static class StatusJson
{
    /// <summary>A 64-hex-digit build id.</summary>
    public const string BuildId = "3f1c9a0b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8";

    /// <summary>Level 0: no patch, no history, kv at version 1, nothing running.</summary>
    public static JsonObject Booted(long uptimeMs = 81234) => new()
    {
        ["build_id"] = BuildId,
        ["arch"] = "x64",
        ["cpus"] = 4,
        ["uptime_ms"] = uptimeMs,
        ["level"] = 0,
        ["last_sequence"] = 0,
        ["busy"] = null,
        ["heap_bytes_in_use"] = 1234567,
        ["patch_memory_reserved_bytes"] = 0,
        ["patch_memory_frames_in_use"] = 0,
        ["patches"] = new JsonArray(),
        ["history"] = new JsonArray(),
        ["classes"] = new JsonArray(new JsonObject { ["name"] = "kv", ["version"] = 1 }),
    };

    /// <summary>kv-fix-case applied at 80.211 s (35.3 ms, no blocked call): level 1, kv at version 2.</summary>
    public static JsonObject Patched(long uptimeMs = 95000)
    {
        var s = Booted(uptimeMs);
        s["level"] = 1;
        s["last_sequence"] = 1;
        s["patch_memory_reserved_bytes"] = 36864;
        s["patch_memory_frames_in_use"] = 3;
        s["patches"] = new JsonArray(new JsonObject
        {
            ["level"] = 1, ["name"] = "kv-fix-case", ["sequence"] = 1, ["applied_at_ms"] = 80211,
            ["total_us"] = 35300, ["max_blocked_us"] = 0, ["module_bytes"] = 20480,
        });
        s["history"] = new JsonArray(new JsonObject
        {
            ["event"] = "applied", ["name"] = "kv-fix-case", ["sequence"] = 1, ["level"] = 1, ["at_ms"] = 80211,
            ["total_us"] = 35300, ["max_blocked_us"] = 0, ["reason"] = "",
        });
        s["classes"] = new JsonArray(new JsonObject { ["name"] = "kv", ["version"] = 2 });
        return s;
    }

    /// <summary>The document as the daemon would send it.</summary>
    public static string Text(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
