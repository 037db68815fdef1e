using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Molt.Cli.Daemon;

/// <summary>An answer from the daemon: the HTTP status, the body as sent, and the body as JSON when it is a JSON object.</summary>
public sealed record DaemonAnswer(int Status, string StatusText, string Body, JsonElement? Json)
{
    public string Outcome => Json is { } j ? DaemonJson.Str(j, "outcome") : "";
}

/// <summary>
/// Talks HTTP/1.1 to the update daemon (docs/update-daemon.md, "API"), and
/// turns every way of not getting an answer into one <see cref="CliError"/>
/// with <see cref="ExitCodes.Unreachable"/> that names the address and the
/// cause: connection refused, unknown host, timed out, dropped during the
/// upload (with how far it got), closed without answering.
///
/// Uploads carry Content-Length (never chunked) and Expect: 100-continue,
/// so a daemon that already knows its answer (busy, too large) refuses
/// before the body is sent. Nothing goes through a proxy.
/// </summary>
public sealed class DaemonClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public DaemonAddress Address { get; }

    public DaemonClient(DaemonAddress address, TimeSpan timeout)
    {
        Address = address;
        _timeout = timeout;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = timeout,
            // The daemon answers 100 at once when it takes the body; under TCG "at once" may be slow.
            Expect100ContinueTimeout = TimeSpan.FromSeconds(3),
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("molt", "1"));
    }

    public void Dispose() => _http.Dispose();

    public DaemonAnswer Get(string path) => Send(new HttpRequestMessage(HttpMethod.Get, Uri(path)), null);

    /// <param name="progress">Called with the bytes handed to the connection so far, after each chunk; null for none.</param>
    public DaemonAnswer Post(string path, byte[] body, Action<long>? progress = null, bool expectContinue = true)
    {
        var content = new UploadContent(body, progress);
        var request = new HttpRequestMessage(HttpMethod.Post, Uri(path)) { Content = content };
        request.Headers.ExpectContinue = expectContinue;
        return Send(request, content);
    }

    private Uri Uri(string path) => new($"http://{Address}{path}");

    private DaemonAnswer Send(HttpRequestMessage request, UploadContent? upload)
    {
        using var cts = new CancellationTokenSource(_timeout);
        try
        {
            using HttpResponseMessage response = _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).GetAwaiter().GetResult();
            string body = response.Content.ReadAsStringAsync(cts.Token).GetAwaiter().GetResult();
            return new DaemonAnswer((int)response.StatusCode, response.ReasonPhrase ?? "", body, DaemonJson.TryParseObject(body));
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            string where = upload is { Started: true, Finished: false } ? $" (the upload stopped after {upload.Sent} of {upload.Length} bytes)" : "";
            throw new CliError($"no answer from {Address} within {Seconds(_timeout)}{where}", ExitCodes.Unreachable);
        }
        catch (HttpRequestException e)
        {
            throw new CliError(Describe(e, upload), ExitCodes.Unreachable);
        }
        catch (IOException e)
        {
            throw new CliError(Describe(e, upload), ExitCodes.Unreachable);
        }
    }

    private string Describe(Exception e, UploadContent? upload)
    {
        SocketException? socket = Find<SocketException>(e);
        if (e is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError })
            return $"cannot reach {Address}: unknown host {Address.Host}";
        if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } && upload is not { Started: true })
            return $"cannot reach {Address}: {SocketReason(socket, e)}";
        if (upload is { Started: true, Finished: false })
            return $"{Address} dropped the connection during the upload (after {upload.Sent} of {upload.Length} bytes): {SocketReason(socket, e)}";
        return $"{Address} dropped the connection before answering: {SocketReason(socket, e)}";
    }

    private static string SocketReason(SocketException? socket, Exception e)
    {
        if (socket != null)
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.ConnectionReset => "connection reset",
                SocketError.ConnectionAborted => "connection aborted",
                SocketError.Shutdown => "connection closed",
                SocketError.TimedOut => "timed out",
                SocketError.HostUnreachable => "host unreachable",
                SocketError.NetworkUnreachable => "network unreachable",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "unknown host",
                _ => socket.Message.ToLowerInvariant(),
            };
        if (e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded })
            return "connection closed";
        // The innermost message is the most precise ("Broken pipe", "Connection reset by peer").
        Exception inner = e;
        while (inner.InnerException != null) inner = inner.InnerException;
        return inner.Message.TrimEnd('.').ToLowerInvariant();
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e != null; e = e.InnerException)
            if (e is T t) return t;
        return null;
    }

    public static string Seconds(TimeSpan t) => t.TotalSeconds == 1 ? "1 second" : $"{t.TotalSeconds:0.###} seconds";

    /// <summary>A body with a known length, written in chunks so progress can be told; records how far it got.</summary>
    private sealed class UploadContent(byte[] data, Action<long>? progress) : HttpContent
    {
        private const int Chunk = 16 * 1024;
        public long Length => data.Length;
        public long Sent { get; private set; }
        public bool Started { get; private set; }
        public bool Finished { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            Started = true;
            progress?.Invoke(0);
            for (int at = 0; at < data.Length; at += Chunk)
            {
                int n = Math.Min(Chunk, data.Length - at);
                await stream.WriteAsync(data.AsMemory(at, n), cancellationToken).ConfigureAwait(false);
                Sent = at + n;
                progress?.Invoke(Sent);
            }
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            Finished = true;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = data.Length;
            return true;
        }
    }
}

/// <summary>Tolerant reads from the daemon's JSON: a missing or mistyped field reads as empty or null, never throws.</summary>
public static class DaemonJson
{
    public static JsonElement? TryParseObject(string body)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    public static long? Num(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;

    public static JsonElement? Obj(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Object ? v : null;

    public static IEnumerable<JsonElement> Array(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray() : [];

    /// <summary>Microseconds for people: "310 µs", "35.3 ms", "2.41 s".</summary>
    public static string Micros(long? us) => us switch
    {
        null => "-",
        < 1000 => $"{us} µs",
        < 1_000_000 => $"{us / 1000.0:0.0} ms",
        _ => $"{us / 1_000_000.0:0.00} s",
    };

    /// <summary>Milliseconds since boot for people: "81.2 s", "12 min 3 s".</summary>
    public static string SinceBoot(long? ms) => ms switch
    {
        null => "-",
        < 60_000 => $"{ms / 1000.0:0.0} s",
        < 3_600_000 => $"{ms / 60_000} min {ms % 60_000 / 1000} s",
        _ => $"{ms / 3_600_000} h {ms % 3_600_000 / 60_000} min",
    };

    public static string Bytes(long? n) => n switch
    {
        null => "-",
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:0.0} KiB",
        _ => $"{n / (1024.0 * 1024):0.0} MiB",
    };

    /// <summary>The body in one line for an error message, cut short.</summary>
    public static string Excerpt(string body)
    {
        string one = string.Join(' ', body.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return one.Length <= 100 ? one : one[..100] + "...";
    }

    internal static readonly UTF8Encoding Utf8 = new(false);
}
