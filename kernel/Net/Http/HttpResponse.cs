#nullable disable
using System;

namespace Molt.Net.Http
{
    /// <summary>
    /// The response a handler fills in: a status, a body written into a
    /// buffer it borrows (the request's body buffer, free once the handler
    /// has read the request), and a few optional headers. The head is
    /// formatted into a fixed buffer; nothing allocates.
    /// </summary>
    public sealed class HttpResponse
    {
        private readonly byte[] _head = new byte[256];
        private byte[] _body;
        public int Status;
        public int BodyLength;
        public bool Close;
        /// <summary>An Allow header when set (405): the methods, a constant string.</summary>
        public string Allow;
        public bool RetryAfter;  // adds "Retry-After: 1" (503)
        /// <summary>A Content-Type header when set (a constant string).</summary>
        public string ContentType;

        public void Attach(byte[] bodyBuffer) => _body = bodyBuffer;
        /// <summary>The buffer the body is written into (the request's, or one the handler attached).</summary>
        public byte[] Buffer => _body;
        public void Free() => NetPlatform.Free(_head);
        public Span<byte> BodyBuffer => new Span<byte>(_body);
        public ReadOnlySpan<byte> Body => new ReadOnlySpan<byte>(_body, 0, BodyLength);

        public void Begin() { Status = 200; BodyLength = 0; Close = false; Allow = null; RetryAfter = false; ContentType = null; }

        /// <summary>A short ASCII body (error pages, confirmations).</summary>
        public void Text(int status, string text)
        {
            Status = status;
            int n = text.Length < _body.Length ? text.Length : _body.Length;
            for (int i = 0; i < n; i++) _body[i] = (byte)text[i];
            BodyLength = n;
        }

        public static string Reason(int status)
        {
            switch (status)
            {
                case 100: return "Continue";
                case 200: return "OK";
                case 201: return "Created";
                case 204: return "No Content";
                case 400: return "Bad Request";
                case 403: return "Forbidden";
                case 404: return "Not Found";
                case 405: return "Method Not Allowed";
                case 408: return "Request Timeout";
                case 411: return "Length Required";
                case 413: return "Content Too Large";
                case 414: return "URI Too Long";
                case 409: return "Conflict";
                case 417: return "Expectation Failed";
                case 422: return "Unprocessable Content";
                case 431: return "Request Header Fields Too Large";
                case 500: return "Internal Server Error";
                case 501: return "Not Implemented";
                case 503: return "Service Unavailable";
                case 505: return "HTTP Version Not Supported";
                default: return "Unknown";
            }
        }

        /// <summary>Formats the status line and headers.</summary>
        public ReadOnlySpan<byte> BuildHead(bool keepAlive)
        {
            int n = 0;
            n = Put(n, "HTTP/1.1 ");
            n = PutNumber(n, Status);
            n = Put(n, " ");
            n = Put(n, Reason(Status));
            n = Put(n, "\r\nContent-Length: ");
            n = PutNumber(n, Status == 204 ? 0 : BodyLength);
            n = Put(n, keepAlive ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
            if ((object)Allow != null) { n = Put(n, "\r\nAllow: "); n = Put(n, Allow); }
            if (RetryAfter) n = Put(n, "\r\nRetry-After: 1");
            if ((object)ContentType != null) { n = Put(n, "\r\nContent-Type: "); n = Put(n, ContentType); }
            n = Put(n, "\r\n\r\n");
            return new ReadOnlySpan<byte>(_head, 0, n);
        }

        private int Put(int n, string s)
        {
            for (int i = 0; i < s.Length && n < _head.Length; i++) _head[n++] = (byte)s[i];
            return n;
        }

        private int PutNumber(int n, long v)
        {
            if (v < 0) v = 0;
            int digits = 1;
            for (long t = v; t >= 10; t /= 10) digits++;
            if (n + digits > _head.Length) return n;
            for (int i = digits - 1; i >= 0; i--) { _head[n + i] = (byte)('0' + v % 10); v /= 10; }
            return n + digits;
        }
    }

    public interface IHttpHandler
    {
        /// <summary>Fills <paramref name="response"/> for a complete request. Must not block.</summary>
        void Handle(HttpRequestParser request, HttpResponse response);
    }

    /// <summary>
    /// A handler that decides on a request with a body before the body is
    /// read (<see cref="HttpSession"/>, steps 1-4).
    /// </summary>
    public interface IHttpAdmission
    {
        /// <summary>
        /// True to read the body (into the parser's buffer, or into one the
        /// handler names with <see cref="HttpRequestParser.ReceiveBodyInto"/>);
        /// false with <paramref name="response"/> filled to answer without it.
        /// </summary>
        bool Admit(HttpRequestParser request, HttpResponse response);

        /// <summary>An admitted request ended before the handler saw it whole.</summary>
        void Abandoned(HttpRequestParser request);

        /// <summary>The answer to a request the handler saw is written (or the connection failed): what was lent for it can return.</summary>
        void Sent(HttpRequestParser request, HttpResponse response);
    }

    /// <summary>
    /// A handler that writes the session's own error answers (400, 408,
    /// 413, 431, ...: the parser's refusals and time-outs) in its format,
    /// e.g. JSON. Without it they are plain text.
    /// </summary>
    public interface IHttpErrorWriter
    {
        /// <summary>Fills <paramref name="response"/> with an answer for <paramref name="status"/>; the connection closes after it.</summary>
        void WriteError(int status, HttpResponse response);
    }

    /// <summary>A byte stream the server loop reads requests from and writes answers to.</summary>
    public interface IHttpTransport
    {
        /// <summary>Bytes read, 0 at end of stream, or a TcpError (TimedOut after the time-out).</summary>
        int Read(Span<byte> buffer, long timeoutMicroseconds);
        bool Write(ReadOnlySpan<byte> data);
        /// <summary>True when other connections wait for a worker (the listener's accept queue is not empty).</summary>
        bool OthersWaiting { get; }
        /// <summary>True when the peer has acknowledged everything written (nothing in flight).</summary>
        bool Delivered { get; }
    }
}
