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
        public bool AllowKv;     // adds "Allow: GET, PUT, DELETE" (405)
        public bool RetryAfter;  // adds "Retry-After: 1" (503)

        public void Attach(byte[] bodyBuffer) => _body = bodyBuffer;
        public void Free() => NetPlatform.Free(_head);
        public Span<byte> BodyBuffer => new Span<byte>(_body);
        public ReadOnlySpan<byte> Body => new ReadOnlySpan<byte>(_body, 0, BodyLength);

        public void Begin() { Status = 200; BodyLength = 0; Close = false; AllowKv = false; RetryAfter = false; }

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
                case 404: return "Not Found";
                case 405: return "Method Not Allowed";
                case 408: return "Request Timeout";
                case 411: return "Length Required";
                case 413: return "Content Too Large";
                case 414: return "URI Too Long";
                case 417: return "Expectation Failed";
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
            if (AllowKv) n = Put(n, "\r\nAllow: GET, PUT, DELETE");
            if (RetryAfter) n = Put(n, "\r\nRetry-After: 1");
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
