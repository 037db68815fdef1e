using System.Net;
using System.Net.Sockets;
using System.Text;
using Molt.Update.Daemon;

namespace Molt.Tests.Browser;

/// <summary>
/// A stand-in for the kernel's update daemon on 127.0.0.1:0: <c>GET /</c>
/// answers <see cref="StatusPage.Html"/> (the very bytes the kernel serves),
/// <c>GET /status</c> answers whatever JSON the test scripted last. It can
/// be made to fail (<see cref="Failure"/>) to drive the page's "unreachable"
/// banner. One request per connection (<c>Connection: close</c>), enough
/// for a page polling every 2 seconds.
/// </summary>
public sealed class ScriptedStatusServer : IAsyncDisposable
{
    /// <summary>How <c>GET /status</c> fails, when it does.</summary>
    public enum FailureMode
    {
        /// <summary>Answers normally.</summary>
        None,
        /// <summary>Accepts the connection and closes it unanswered: a network error to fetch().</summary>
        Drop,
        /// <summary>Answers 503.</summary>
        ServerError,
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile string _json = "{}";
    private int _statusRequests;

    /// <summary>Starts listening on a free loopback port.</summary>
    public ScriptedStatusServer(string json)
    {
        _json = json;
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>The page's address.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    /// <summary>The JSON <c>GET /status</c> answers from the next request on.</summary>
    public string Json { get => _json; set => _json = value; }

    /// <summary>How <c>GET /status</c> fails from the next request on.</summary>
    public volatile FailureMode Failure = FailureMode.None;

    /// <summary><c>GET /status</c> requests received so far (failed ones included).</summary>
    public int StatusRequests => Volatile.Read(ref _statusRequests);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var stream = client.GetStream();
                string? target = await ReadRequestTarget(stream, timeout.Token);
                if (target == null) return;
                if (target == "/")
                {
                    await Answer(stream, 200, "OK", "text/html; charset=utf-8", StatusPage.Html.ToArray(), timeout.Token);
                    return;
                }
                if (target == "/status")
                {
                    Interlocked.Increment(ref _statusRequests);
                    switch (Failure)
                    {
                        case FailureMode.Drop:
                            client.Client.LingerState = new LingerOption(true, 0); // RST, not a clean empty answer
                            return;
                        case FailureMode.ServerError:
                            await Answer(stream, 503, "Service Unavailable", "text/plain", "down"u8.ToArray(), timeout.Token);
                            return;
                    }
                    await Answer(stream, 200, "OK", "application/json", Encoding.ASCII.GetBytes(_json), timeout.Token);
                    return;
                }
                await Answer(stream, 404, "Not Found", "text/plain", "no such page"u8.ToArray(), timeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The browser went away mid-request (a page closed, a poll aborted): nothing to answer.
            }
        }
    }

    /// <summary>Reads the request head; returns its target path, or null if the client closed first.</summary>
    private static async Task<string?> ReadRequestTarget(NetworkStream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var buffer = new byte[1024];
        while (head.Count < 16384)
        {
            int n = await stream.ReadAsync(buffer, ct);
            if (n == 0) return null;
            head.AddRange(buffer.AsSpan(0, n));
            string text = Encoding.ASCII.GetString(head.ToArray());
            if (text.Contains("\r\n\r\n"))
            {
                string[] requestLine = text[..text.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
                return requestLine.Length == 3 && requestLine[0] == "GET" ? requestLine[1] : "?";
            }
        }
        return null;
    }

    private static async Task Answer(NetworkStream stream, int status, string reason, string type, byte[] body, CancellationToken ct)
    {
        string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(body, ct);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
