using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Molt.Load;

/// <summary>The parts of <c>GET /status</c> the tests and the bench read (docs/update-daemon.md).</summary>
public sealed record DaemonStatus(JsonElement Json)
{
    public int Level => Json.GetProperty("level").GetInt32();
    public ulong LastSequence => Json.GetProperty("last_sequence").GetUInt64();
    public string? Busy => Json.GetProperty("busy").ValueKind == JsonValueKind.Null ? null : Json.GetProperty("busy").GetString();
    public long HeapBytesInUse => Json.GetProperty("heap_bytes_in_use").GetInt64();
    public string Arch => Json.GetProperty("arch").GetString()!;
    public byte[] BuildId => Convert.FromHexString(Json.GetProperty("build_id").GetString()!);
    public IReadOnlyList<string> Patches => Json.GetProperty("patches").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();
    /// <summary>The sequence of the patch at the top of the stack (0 at level 0).</summary>
    public ulong TopSequence => Json.GetProperty("patches").EnumerateArray().Select(p => p.GetProperty("sequence").GetUInt64()).LastOrDefault();
    /// <summary>Each published updatable class and its version.</summary>
    public IReadOnlyDictionary<string, int> Classes => Json.GetProperty("classes").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("version").GetInt32());
    public override string ToString() => Json.GetRawText();
}

/// <summary>An answer of the daemon: the HTTP status, its JSON, and how long the exchange took on the client.</summary>
public sealed record DaemonAnswer(int Status, JsonElement Json, TimeSpan Elapsed)
{
    public string Outcome => Json.TryGetProperty("outcome", out var o) ? o.GetString() ?? "" : "";
    public string Step => Json.TryGetProperty("step", out var s) ? s.GetString() ?? "" : "";
    public string Reason => Json.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "";

    /// <summary>The refusal as the kernel logs it: "refused at STEP: REASON (byte N): DETAIL" (update/Patching/PatchLog.cs).</summary>
    public string Described
    {
        get
        {
            long offset = Json.TryGetProperty("offset", out var o) ? o.GetInt64() : -1;
            string detail = Json.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
            return $"refused at {Step}: {Reason}" + (offset >= 0 ? $" (byte {offset})" : "") + (detail.Length > 0 ? ": " + detail : "");
        }
    }

    /// <summary>A microsecond figure of <c>timings_us</c> (applied pushes), or -1.</summary>
    public long Timing(string name) => Json.TryGetProperty("timings_us", out var t) && t.TryGetProperty(name, out var v) ? v.GetInt64() : -1;

    public override string ToString() => $"{Status} {Json.GetRawText()}";
}

/// <summary>
/// The update daemon's HTTP API from the host: status, push, signed
/// rollback. One connection per request (the daemon closes each).
/// </summary>
public sealed class DaemonClient(IPEndPoint endpoint, TimeSpan? timeout = null)
{
    public IPEndPoint Endpoint { get; } = endpoint;
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(60);

    public DaemonStatus Status()
    {
        var a = Send("GET", "/status", default);
        if (a.Status != 200) throw new HttpFailure($"GET /status answered {a}");
        return new DaemonStatus(a.Json);
    }

    public DaemonAnswer Push(byte[] bundle) => Send("POST", "/patches", bundle);

    /// <summary>Rolls back to <paramref name="toLevel"/>: a request signed with <paramref name="seed"/> for the state <c>/status</c> shows now.</summary>
    public DaemonAnswer Rollback(int toLevel, byte[] seed)
    {
        var s = Status();
        byte arch = s.Arch == "arm64" ? (byte)2 : (byte)1;
        return Send("POST", "/rollback", BundleSigning.RollbackRequest(arch, (uint)s.Level, (uint)toLevel, s.TopSequence, s.BuildId, seed));
    }

    public DaemonAnswer Send(string method, string path, ReadOnlySpan<byte> body, string? extraHeaders = null)
    {
        var sw = Stopwatch.StartNew();
        using var c = HttpConnection.Open(Endpoint, Timeout);
        var a = c.Send(method, path, body, extraHeaders);
        return Parse(a, sw.Elapsed);
    }

    public static DaemonAnswer Parse(HttpAnswer a, TimeSpan elapsed)
    {
        JsonElement json;
        try { json = JsonDocument.Parse(a.Body).RootElement.Clone(); }
        catch (JsonException) { json = JsonDocument.Parse(JsonSerializer.Serialize(new { text = a.Text })).RootElement.Clone(); }
        return new DaemonAnswer(a.Status, json, elapsed);
    }
}
