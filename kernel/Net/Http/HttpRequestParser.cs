#nullable disable
using System;

namespace Molt.Net.Http
{
    public enum RequestMethod { None, Get, Head, Put, Post, Delete, Other }
    public enum HttpParse
    {
        NeedMore,
        Complete,
        Error,
        /// <summary>The head of a request with a body is parsed and no body byte is read yet (only with <see cref="HttpRequestParser.StopAtHead"/>).</summary>
        HeadReady,
    }

    /// <summary>
    /// An HTTP/1.1 request parser: a pure state machine over bytes (no
    /// sockets, no clock, no allocation after construction), so the host can
    /// fuzz it. Feed it whatever arrived; it stops at the end of one request
    /// and says how much it consumed (the rest belongs to the next, pipelined).
    ///
    /// States: 1. head (request line and headers, copied into a bounded
    /// buffer until the empty line; too long: 431), 2. the head is parsed
    /// (bad syntax 400, unknown version 505, body without a length 411,
    /// Content-Length beyond the limit 413, an unsupported transfer coding
    /// 501, both Content-Length and chunked 400), 3. the body: Content-Length
    /// bytes, or chunks (size line, data, CRLF; the last chunk, trailers),
    /// copied into a bounded body buffer (beyond it: 413).
    ///
    /// A server that decides per request where a body goes (or whether it
    /// is wanted at all) sets <see cref="StopAtHead"/>: the parser then
    /// stops between 2 and 3 with <see cref="HttpParse.HeadReady"/>, and
    /// the caller may redirect the body into a buffer of its own
    /// (<see cref="ReceiveBodyInto"/>) or drop it (<see cref="DiscardBody"/>)
    /// before feeding on. The limit for the head's Content-Length is
    /// <c>maxBodyBytes</c>; the parser's own buffer may be smaller
    /// (<c>storedBodyBytes</c>), and a body that outgrows the buffer it is
    /// read into is refused with 413 all the same.
    /// </summary>
    public sealed class HttpRequestParser
    {
        private enum S { Head, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailer, Done, Failed }

        private readonly byte[] _head;
        private readonly byte[] _body;
        private readonly int _maxBody;
        private byte[] _sink;        // where this request's body goes: _body, a caller's buffer, or null (discarded)
        private S _state;
        private int _headLength;
        private long _remaining;     // Content-Length bytes, or the current chunk's bytes, still to come
        private int _lineLength;     // bytes of the current chunk-size or trailer line
        private long _chunkSize;
        private bool _chunkSizeDigits, _chunkExt;

        public RequestMethod Method;
        public int TargetStart, TargetLength;   // in Head
        public int Version;                     // 10 or 11
        public long ContentLength;              // -1 when absent
        public bool Chunked, KeepAlive, ExpectContinue, HasHost;
        public int BodyLength;
        /// <summary>The status to answer with when <see cref="HttpParse.Error"/> was returned.</summary>
        public int ErrorStatus;

        /// <summary>Stop with <see cref="HttpParse.HeadReady"/> once a head announcing a body is parsed.</summary>
        public bool StopAtHead;

        public HttpRequestParser(int maxHeadBytes, int maxBodyBytes, int storedBodyBytes = -1)
        {
            _head = new byte[maxHeadBytes];
            _body = new byte[storedBodyBytes < 0 ? maxBodyBytes : storedBodyBytes];
            _maxBody = maxBodyBytes;
            Reset();
        }

        public void Free() { NetPlatform.Free(_head); NetPlatform.Free(_body); }

        public ReadOnlySpan<byte> Head => new ReadOnlySpan<byte>(_head, 0, _headLength);
        public ReadOnlySpan<byte> Target => new ReadOnlySpan<byte>(_head, TargetStart, TargetLength);
        /// <summary>The body read so far (empty when discarded).</summary>
        public ReadOnlySpan<byte> Body => _sink == null ? default : new ReadOnlySpan<byte>(_sink, 0, BodyLength);
        public int MaxBody => _maxBody;

        /// <summary>The buffer this request's body is read into: <see cref="BodyStorage"/>, one given to <see cref="ReceiveBodyInto"/>, or null when discarded.</summary>
        public byte[] BodyTarget => _sink;

        /// <summary>At <see cref="HttpParse.HeadReady"/>: this request's body goes into <paramref name="buffer"/> (its length is the limit).</summary>
        public void ReceiveBodyInto(byte[] buffer) => _sink = buffer;

        /// <summary>At <see cref="HttpParse.HeadReady"/>: this request's body is read and dropped (its length still counted).</summary>
        public void DiscardBody() => _sink = null;

        /// <summary>Bytes the body may still take in the buffer it is read into.</summary>
        private long BodyRoom => (_sink == null ? _maxBody : _sink.Length) - BodyLength;
        /// <summary>The body buffer itself; the response borrows it once the handler has read the request.</summary>
        public byte[] BodyStorage => _body;
        /// <summary>The head is parsed and the body (if any) is being read: time for "100 Continue".</summary>
        public bool HeadDone => _state != S.Head && _state != S.Failed;
        /// <summary>Some bytes of a request have arrived (for 408 on a time-out).</summary>
        public bool InProgress => _headLength > 0 || (_state != S.Head && _state != S.Done);

        public void Reset()
        {
            _state = S.Head; _headLength = 0; _remaining = 0; _lineLength = 0; _chunkSize = 0; _chunkSizeDigits = false; _chunkExt = false;
            Method = RequestMethod.None; TargetStart = TargetLength = 0; Version = 0; ContentLength = -1;
            Chunked = KeepAlive = ExpectContinue = HasHost = false; BodyLength = 0; ErrorStatus = 0;
            _sink = _body;
        }

        private HttpParse Fail(int status) { ErrorStatus = status; _state = S.Failed; return HttpParse.Error; }

        public HttpParse Feed(ReadOnlySpan<byte> data, out int consumed)
        {
            consumed = 0;
            if (_state == S.Failed) return HttpParse.Error;
            if (_state == S.Done) return HttpParse.Complete;
            int i = 0;
            while (i < data.Length)
            {
                switch (_state)
                {
                    case S.Head:
                        {
                            byte b = data[i++];
                            if (_headLength == 0 && (b == '\r' || b == '\n')) continue; // RFC 9112 2.2: ignore leading empty lines
                            if (_headLength == _head.Length) { consumed = i; return Fail(431); }
                            _head[_headLength++] = b;
                            if (b == '\n' && EndsHead())
                            {
                                int status = ParseHead();
                                if (status != 0) { consumed = i; return Fail(status); }
                                if (Chunked) _state = S.ChunkSize;
                                else if (ContentLength > 0) { _state = S.Body; _remaining = ContentLength; }
                                else { _state = S.Done; consumed = i; return HttpParse.Complete; }
                                if (StopAtHead) { consumed = i; return HttpParse.HeadReady; }
                            }
                            break;
                        }
                    case S.Body:
                        {
                            if (_remaining > BodyRoom) { consumed = i; return Fail(413); }
                            int n = data.Length - i;
                            if (n > _remaining) n = (int)_remaining;
                            if (_sink != null) data.Slice(i, n).CopyTo(new Span<byte>(_sink, BodyLength, n));
                            BodyLength += n; _remaining -= n; i += n;
                            if (_remaining == 0) { _state = S.Done; consumed = i; return HttpParse.Complete; }
                            break;
                        }
                    case S.ChunkSize:
                        {
                            byte b = data[i++];
                            if (++_lineLength > 1024) { consumed = i; return Fail(400); }
                            if (b == '\n')
                            {
                                if (!_chunkSizeDigits) { consumed = i; return Fail(400); }
                                _lineLength = 0; _chunkSizeDigits = false; _chunkExt = false;
                                if (_chunkSize == 0) { _state = S.Trailer; break; }
                                if (_chunkSize > BodyRoom) { consumed = i; return Fail(413); }
                                _remaining = _chunkSize; _chunkSize = 0; _state = S.ChunkData;
                                break;
                            }
                            if (b == '\r' || _chunkExt) break;
                            if (b == ';' || b == ' ' || b == '\t') { _chunkExt = true; break; }
                            int d = Hex(b);
                            if (d < 0) { consumed = i; return Fail(400); }
                            _chunkSize = _chunkSize * 16 + d; _chunkSizeDigits = true;
                            if (_chunkSize > _maxBody) { consumed = i; return Fail(413); }
                            break;
                        }
                    case S.ChunkData:
                        {
                            int n = data.Length - i;
                            if (n > _remaining) n = (int)_remaining;
                            if (_sink != null) data.Slice(i, n).CopyTo(new Span<byte>(_sink, BodyLength, n));
                            BodyLength += n; _remaining -= n; i += n;
                            if (_remaining == 0) { _state = S.ChunkDataEnd; _lineLength = 0; }
                            break;
                        }
                    case S.ChunkDataEnd:
                        {
                            byte b = data[i++];
                            if (b == '\r' && _lineLength == 0) { _lineLength = 1; break; }
                            if (b != '\n') { consumed = i; return Fail(400); }
                            _lineLength = 0; _state = S.ChunkSize;
                            break;
                        }
                    case S.Trailer:
                        {
                            // Trailer fields are read and ignored; the empty line ends the request.
                            byte b = data[i++];
                            if (b == '\n')
                            {
                                bool empty = _lineLength == 0;
                                _lineLength = 0;
                                if (empty) { _state = S.Done; consumed = i; return HttpParse.Complete; }
                                break;
                            }
                            if (b == '\r') break;
                            if (++_lineLength > 1024) { consumed = i; return Fail(431); }
                            break;
                        }
                }
            }
            consumed = i;
            return HttpParse.NeedMore;
        }

        private static int Hex(byte b)
        {
            if (b >= '0' && b <= '9') return b - '0';
            if (b >= 'a' && b <= 'f') return b - 'a' + 10;
            if (b >= 'A' && b <= 'F') return b - 'A' + 10;
            return -1;
        }

        private bool EndsHead()
        {
            int n = _headLength;
            if (n >= 2 && _head[n - 2] == '\n') return true;                       // LF LF
            return n >= 3 && _head[n - 2] == '\r' && _head[n - 3] == '\n';          // LF CR LF
        }

        private static bool IsTokenChar(byte c)
        {
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') return true;
            switch (c)
            {
                case (byte)'!': case (byte)'#': case (byte)'$': case (byte)'%': case (byte)'&': case (byte)'\'': case (byte)'*':
                case (byte)'+': case (byte)'-': case (byte)'.': case (byte)'^': case (byte)'_': case (byte)'`': case (byte)'|': case (byte)'~':
                    return true;
            }
            return false;
        }

        /// <summary>Step 2: returns 0, or the error status.</summary>
        private int ParseHead()
        {
            ReadOnlySpan<byte> h = Head;
            int lineEnd = IndexOf(h, 0, (byte)'\n');
            int rl = lineEnd; if (rl > 0 && h[rl - 1] == '\r') rl--;
            // Request line: method SP target SP version.
            int sp1 = IndexOf(h.Slice(0, rl), 0, (byte)' ');
            if (sp1 <= 0) return 400;
            for (int k = 0; k < sp1; k++) if (!IsTokenChar(h[k])) return 400;
            int sp2 = IndexOf(h.Slice(0, rl), sp1 + 1, (byte)' ');
            if (sp2 < 0 || sp2 == sp1 + 1) return 400;
            for (int k = sp1 + 1; k < sp2; k++) if (h[k] <= 0x20 || h[k] >= 0x7F) return 400;
            ReadOnlySpan<byte> version = h.Slice(sp2 + 1, rl - sp2 - 1);
            if (version.Length != 8 || !Same(version.Slice(0, 5), "HTTP/") || version[6] != '.' || version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') return 400;
            if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) return 505;
            Version = version[7] == '1' ? 11 : 10;
            KeepAlive = Version == 11;
            Method = MethodOf(h.Slice(0, sp1));
            TargetStart = sp1 + 1; TargetLength = sp2 - sp1 - 1;

            // Header fields.
            int pos = lineEnd + 1;
            bool te = false;
            while (pos < h.Length)
            {
                int end = IndexOf(h, pos, (byte)'\n');
                if (end < 0) return 400;
                int e = end; if (e > pos && h[e - 1] == '\r') e--;
                if (e == pos) break; // the empty line
                ReadOnlySpan<byte> line = h.Slice(pos, e - pos);
                pos = end + 1;
                int colon = IndexOf(line, 0, (byte)':');
                if (colon <= 0) return 400;
                for (int k = 0; k < colon; k++) if (!IsTokenChar(line[k])) return 400; // also refuses "Name :" (RFC 9112 5.1)
                ReadOnlySpan<byte> name = line.Slice(0, colon);
                ReadOnlySpan<byte> value = Trim(line.Slice(colon + 1));
                for (int k = 0; k < value.Length; k++) if (value[k] < 0x20 && value[k] != '\t' || value[k] == 0x7F) return 400;
                if (SameIgnoreCase(name, "content-length"))
                {
                    if (value.Length == 0 || value.Length > 18) return value.Length > 18 ? 413 : 400;
                    long n = 0;
                    for (int k = 0; k < value.Length; k++) { if (value[k] < '0' || value[k] > '9') return 400; n = n * 10 + (value[k] - '0'); }
                    if (ContentLength >= 0 && ContentLength != n) return 400;
                    ContentLength = n;
                }
                else if (SameIgnoreCase(name, "transfer-encoding"))
                {
                    if (!SameIgnoreCase(value, "chunked")) return 501;
                    te = true;
                }
                else if (SameIgnoreCase(name, "connection"))
                {
                    if (ContainsIgnoreCase(value, "close")) KeepAlive = false;
                    else if (ContainsIgnoreCase(value, "keep-alive")) KeepAlive = true;
                }
                else if (SameIgnoreCase(name, "expect"))
                {
                    if (!SameIgnoreCase(value, "100-continue")) return 417;
                    ExpectContinue = Version == 11;
                }
                else if (SameIgnoreCase(name, "host")) { if (HasHost) return 400; HasHost = true; }
            }
            if (Version == 11 && !HasHost) return 400;
            if (te && ContentLength >= 0) return 400; // request smuggling guard (RFC 9112 6.1)
            Chunked = te;
            if (ContentLength > _maxBody) return 413;
            if ((Method == RequestMethod.Put || Method == RequestMethod.Post) && !Chunked && ContentLength < 0) return 411;
            if (ContentLength < 0) ContentLength = 0;
            return 0;
        }

        private static RequestMethod MethodOf(ReadOnlySpan<byte> m)
        {
            if (Same(m, "GET")) return RequestMethod.Get;
            if (Same(m, "PUT")) return RequestMethod.Put;
            if (Same(m, "DELETE")) return RequestMethod.Delete;
            if (Same(m, "HEAD")) return RequestMethod.Head;
            if (Same(m, "POST")) return RequestMethod.Post;
            return RequestMethod.Other;
        }

        private static int IndexOf(ReadOnlySpan<byte> s, int from, byte b)
        {
            for (int i = from; i < s.Length; i++) if (s[i] == b) return i;
            return -1;
        }

        private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
        {
            int a = 0, b = s.Length;
            while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
            return s.Slice(a, b - a);
        }

        public static bool Same(ReadOnlySpan<byte> s, string t)
        {
            if (s.Length != t.Length) return false;
            for (int i = 0; i < s.Length; i++) if (s[i] != t[i]) return false;
            return true;
        }

        private static byte Lower(byte c) => c >= 'A' && c <= 'Z' ? (byte)(c + 32) : c;

        public static bool SameIgnoreCase(ReadOnlySpan<byte> s, string t)
        {
            if (s.Length != t.Length) return false;
            for (int i = 0; i < s.Length; i++) if (Lower(s[i]) != t[i]) return false;
            return true;
        }

        private static bool ContainsIgnoreCase(ReadOnlySpan<byte> s, string t)
        {
            for (int i = 0; i + t.Length <= s.Length; i++) if (SameIgnoreCase(s.Slice(i, t.Length), t)) return true;
            return false;
        }
    }
}
