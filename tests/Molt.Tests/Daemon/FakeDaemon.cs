using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Molt.Tests.Daemon;

/// <summary>One request as the fake daemon received it.</summary>
public sealed class FakeRequest
{
    public string Method { get; init; } = "";
    public string Path { get; init; } = "";
    /// <summary>Header names in lower case.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>The body bytes read (all of them, unless the reply dropped or answered early).</summary>
    public byte[] Body { get; set; } = [];
    /// <summary>Whether the fake sent "100 Continue" before reading the body.</summary>
    public bool SentContinue { get; set; }

    public string? Header(string name) => Headers.TryGetValue(name, out string? v) ? v : null;
}

/// <summary>What the fake does with a request (docs/update-daemon.md: the daemon's answers).</summary>
public sealed record FakeReply(int Status, string Body, string ContentType = "application/json")
{
    /// <summary>Answer as soon as the headers are in, without reading the body (busy, too large: the Expect: 100-continue case).</summary>
    public bool Early { get; init; }
    /// <summary>Read this many body bytes, then close the connection without answering.</summary>
    public int? DropAfter { get; init; }
    /// <summary>Read the body, then never answer (until the fake is disposed).</summary>
    public bool Hang { get; init; }

    public static FakeReply Json(int status, string json) => new(status, json);
}

/// <summary>
/// A stand-in for the kernel's update daemon on 127.0.0.1 (an ephemeral
/// port): plain HTTP/1.1 over a TcpListener, so a test controls exactly
/// when it answers, whether it sends 100 Continue, and where it drops the
/// connection. <c>reply</c> chooses the answer from the request line and
/// headers; every request is recorded in <see cref="Requests"/>.
/// </summary>
public sealed class FakeDaemon : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRequest, FakeReply> _reply;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();
    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    public FakeDaemon(Func<FakeRequest, FakeReply> reply)
    {
        _reply = reply;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoop);
    }

    /// <summary>A fake that answers (method, path) pairs from a table, and 404 otherwise.</summary>
    public static FakeDaemon Routes(params (string Method, string Path, FakeReply Reply)[] routes) =>
        new(r => routes.FirstOrDefault(x => x.Method == r.Method && x.Path == r.Path).Reply
                 ?? new FakeReply(404, "not found", "text/plain"));

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _accepting.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream s = client.GetStream();
                (FakeRequest req, byte[] leftover) = await ReadHead(s);
                Requests.Enqueue(req);
                FakeReply reply = _reply(req);
                if (reply.Early)
                {
                    await Answer(s, reply);
                    return;
                }
                if (string.Equals(req.Header("expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    await s.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stop.Token);
                    req.SentContinue = true;
                }
                long length = long.TryParse(req.Header("content-length"), out long n) ? n : 0;
                long wanted = reply.DropAfter is int drop ? Math.Min(drop, length) : length;
                req.Body = await ReadBody(s, leftover, wanted);
                if (reply.DropAfter != null)
                {
                    client.Client.LingerState = new LingerOption(true, 0); // reset, as a crashed peer would
                    return;
                }
                if (reply.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }
                await Answer(s, reply);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { }
            catch (IOException) { }
            catch (SocketException) { }
        }
    }

    private async Task<(FakeRequest, byte[])> ReadHead(NetworkStream s)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        while (true)
        {
            int n = await s.ReadAsync(chunk, _stop.Token);
            if (n == 0) throw new IOException("closed before the headers ended");
            buffer.Write(chunk, 0, n);
            byte[] all = buffer.ToArray();
            int end = all.AsSpan().IndexOf("\r\n\r\n"u8);
            if (end < 0) continue;
            string[] lines = Encoding.ASCII.GetString(all, 0, end).Split("\r\n");
            string[] first = lines[0].Split(' ');
            var req = new FakeRequest { Method = first[0], Path = first[1] };
            foreach (string line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon > 0) req.Headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            return (req, all[(end + 4)..]);
        }
    }

    private async Task<byte[]> ReadBody(NetworkStream s, byte[] leftover, long wanted)
    {
        var body = new MemoryStream();
        body.Write(leftover, 0, (int)Math.Min(leftover.Length, wanted));
        var chunk = new byte[64 * 1024];
        while (body.Length < wanted)
        {
            int n = await s.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, wanted - body.Length)), _stop.Token);
            if (n == 0) break;
            body.Write(chunk, 0, n);
        }
        return body.ToArray();
    }

    private async Task Answer(NetworkStream s, FakeReply reply)
    {
        byte[] body = Encoding.UTF8.GetBytes(reply.Body);
        string head = $"HTTP/1.1 {reply.Status} {Reason(reply.Status)}\r\nContent-Type: {reply.ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await s.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
        await s.WriteAsync(body, _stop.Token);
        await s.FlushAsync(_stop.Token);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK", 400 => "Bad Request", 403 => "Forbidden", 404 => "Not Found", 408 => "Request Timeout",
        409 => "Conflict", 411 => "Length Required", 413 => "Content Too Large", 422 => "Unprocessable Content", _ => "Status",
    };

    /// <summary>A port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
