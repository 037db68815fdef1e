using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Molt.Load;

/// <summary>One HTTP answer: the status, the body, whether the server closes the connection after it.</summary>
public readonly record struct HttpAnswer(int Status, byte[] Body, bool Closes)
{
    public string Text => Encoding.ASCII.GetString(Body);
}

/// <summary>Why a request got no answer: the connection failed, or nothing came in time.</summary>
public sealed class HttpFailure(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A minimal blocking HTTP/1.1 client on one TCP connection: one request at
/// a time, keep-alive, answers framed by Content-Length (all Molt sends).
/// Deliberately not HttpClient: HttpClient silently retries an idempotent
/// request on a fresh connection when the old one fails, which would hide
/// exactly the failures the load generator is there to count.
/// Not thread-safe: one connection, one thread.
/// </summary>
public sealed class HttpConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _in = new byte[64 * 1024];
    private int _start, _end;

    public bool Closed { get; private set; }

    private HttpConnection(Socket s) { _socket = s; }

    /// <summary>Connects to <paramref name="endpoint"/> within <paramref name="timeout"/>; every later read and write has the same limit.</summary>
    public static HttpConnection Open(IPEndPoint endpoint, TimeSpan timeout)
    {
        var s = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // A non-blocking connect and a poll: a time-out without the thread pool (which a busy test run can starve).
            s.Blocking = false;
            try { s.Connect(endpoint); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress) { }
            if (!s.Poll((int)Math.Min(int.MaxValue, timeout.TotalMicroseconds), SelectMode.SelectWrite))
            {
                var error = (SocketError)(int)s.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                throw new HttpFailure(error == SocketError.Success
                    ? $"connect to {endpoint}: no answer in {timeout.TotalSeconds:F1} s"
                    : $"connect to {endpoint}: {error}");
            }
            var failed = (SocketError)(int)s.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (failed != SocketError.Success) throw new HttpFailure($"connect to {endpoint}: {failed}");
            s.Blocking = true;
            s.ReceiveTimeout = s.SendTimeout = (int)timeout.TotalMilliseconds;
            return new HttpConnection(s);
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw new HttpFailure($"connect to {endpoint}: {e.SocketErrorCode}", e);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Sends one request and reads its answer. Throws <see cref="HttpFailure"/> on a connection error or a time-out.</summary>
    public HttpAnswer Send(string method, string path, ReadOnlySpan<byte> body = default, string? extraHeaders = null)
    {
        if (Closed) throw new HttpFailure("the connection is closed");
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: molt\r\n");
        if (body.Length > 0 || method is "PUT" or "POST") head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        if (extraHeaders != null) head.Append(extraHeaders);
        head.Append("\r\n");
        byte[] h = Encoding.ASCII.GetBytes(head.ToString());
        if (body.Length > 0 && h.Length + body.Length <= 16 * 1024)
        {
            // One segment for a small request: no Nagle/delayed-ACK interplay.
            byte[] all = new byte[h.Length + body.Length];
            h.CopyTo(all, 0);
            body.CopyTo(all.AsSpan(h.Length));
            Write(all);
        }
        else
        {
            Write(h);
            if (body.Length > 0) Write(body);
        }
        return ReadAnswer();
    }

    /// <summary>Writes raw bytes (for tests that send malformed or partial requests).</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (bytes.Length > 0)
            {
                int n = _socket.Send(bytes);
                bytes = bytes[n..];
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Fail();
            throw new HttpFailure($"send: {e.Message}", e);
        }
    }

    /// <summary>Reads one answer (status line, headers, Content-Length body).</summary>
    public HttpAnswer ReadAnswer()
    {
        int headEnd;
        while ((headEnd = IndexOfHeadEnd()) < 0)
            if (!Fill()) throw Failed(_end > _start ? "the connection closed in the middle of an answer's head" : "the connection closed before an answer");
        string head = Encoding.ASCII.GetString(_in, _start, headEnd - _start);
        _start = headEnd + 4;
        string[] lines = head.Split("\r\n");
        string[] statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/1.") || !int.TryParse(statusLine[1], out int status))
            throw Failed($"not an HTTP status line: '{lines[0]}'");
        int length = 0;
        bool closes = statusLine[0] == "HTTP/1.0";
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string name = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) length = int.Parse(value);
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) closes = value.Equals("close", StringComparison.OrdinalIgnoreCase);
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) throw Failed("chunked answers are not supported by this client");
        }
        if (status == 100) return ReadAnswer();   // 100 Continue: the real answer follows
        while (_end - _start < length)
            if (!Fill()) throw Failed($"the connection closed after {_end - _start} of {length} body bytes");
        byte[] body = _in.AsSpan(_start, length).ToArray();
        _start += length;
        if (closes) Fail();
        return new HttpAnswer(status, body, closes);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the server to close the connection; true if it did (end of stream or a reset).</summary>
    public bool WaitForClose(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            while (sw.Elapsed < timeout)
            {
                if (!_socket.Poll(50_000, SelectMode.SelectRead)) continue;
                byte[] scratch = new byte[4096];
                if (_socket.Receive(scratch) == 0) return true;
            }
            return false;
        }
        catch (SocketException) { return true; }
    }

    private int IndexOfHeadEnd() => _in.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8) is int i and >= 0 ? _start + i : -1;

    /// <summary>Reads more bytes into the buffer; false at the end of the stream.</summary>
    private bool Fill()
    {
        if (_start > 0 && _start == _end) _start = _end = 0;
        if (_end == _in.Length)
        {
            if (_start > 0) { Buffer.BlockCopy(_in, _start, _in, 0, _end - _start); _end -= _start; _start = 0; }
            else Array.Resize(ref _in, _in.Length * 2);
        }
        try
        {
            int n = _socket.Receive(_in, _end, _in.Length - _end, SocketFlags.None);
            if (n == 0) return false;
            _end += n;
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Fail();
            throw new HttpFailure(e is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock }
                ? $"no answer in {_socket.ReceiveTimeout} ms" : $"receive: {e.Message}", e);
        }
    }

    private HttpFailure Failed(string why) { Fail(); return new HttpFailure(why); }

    private void Fail() => Closed = true;

    /// <summary>Closes with a reset (RST) rather than a FIN: a client that vanishes.</summary>
    public void Abort()
    {
        Closed = true;
        try { _socket.LingerState = new LingerOption(true, 0); } catch (SocketException) { }
        _socket.Dispose();
    }

    public void Dispose()
    {
        Closed = true;
        _socket.Dispose();
    }
}
