#nullable disable
using System;
using Molt.Net.Tcp;

namespace Molt.Net.Http
{
    /// <summary>
    /// Serves one connection: keep-alive, pipelining (bytes past one request
    /// start the next), "100 Continue", error answers (the connection closes
    /// after any 4xx from the parser), 408 when a started request does not
    /// complete in time. One session object per worker, reused for every
    /// connection; it owns its buffers (allocated once).
    ///
    /// A handler that is also an <see cref="IHttpAdmission"/> sees each
    /// request with a body at its head, before the body is read:
    /// 1. The parser stops at the head (<see cref="HttpParse.HeadReady"/>).
    /// 2. <see cref="IHttpAdmission.Admit"/> admits it (and may redirect
    ///    the body into a buffer of its own) or answers it at once.
    /// 3. Admitted: the body is read; "100 Continue" goes out if asked for.
    ///    Answered: with "Expect: 100-continue" the answer goes out now and
    ///    the connection closes (the client has not sent the body); without
    ///    it the body is read and dropped, then the answer goes out.
    /// 4. An admitted request that never reaches the handler (the peer
    ///    left, a time-out, a malformed body) is handed back through
    ///    <see cref="IHttpAdmission.Abandoned"/> exactly once.
    /// 5. A request the handler answered is handed back through
    ///    <see cref="IHttpAdmission.Sent"/> once its answer is written (or
    ///    could not be): buffers lent for it can return.
    /// </summary>
    public sealed class HttpSession
    {
        public readonly HttpRequestParser Parser;
        public readonly HttpResponse Response = new HttpResponse();
        private readonly byte[] _in;
        public long IdleTimeoutMicroseconds = 15_000_000;
        public long RequestTimeoutMicroseconds = 10_000_000;
        /// <summary>How long a connection between requests waits before it yields its worker to a waiting one.</summary>
        public long YieldAfterMicroseconds = 2_000_000;
        public long Requests;
        /// <summary>Idle connections closed early because others waited for a worker.</summary>
        public long Yielded;

        private static readonly byte[] Continue = { (byte)'H', (byte)'T', (byte)'T', (byte)'P', (byte)'/', (byte)'1', (byte)'.', (byte)'1', (byte)' ', (byte)'1', (byte)'0', (byte)'0', (byte)' ', (byte)'C', (byte)'o', (byte)'n', (byte)'t', (byte)'i', (byte)'n', (byte)'u', (byte)'e', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' };

        private bool _admitted, _answered;

        public HttpSession(int maxHead, int maxBody, int inputBuffer = 16 * 1024, int storedBody = -1)
        {
            Parser = new HttpRequestParser(maxHead, maxBody, storedBody);
            _in = new byte[inputBuffer];
        }

        public void Free() { Parser.Free(); Response.Free(); NetPlatform.Free(_in); NetPlatform.Free(Parser); NetPlatform.Free(Response); }

        /// <summary>Runs until the peer closes, an error, a time-out or a non-keep-alive answer. The caller closes the connection.</summary>
        public void Serve(IHttpTransport t, IHttpHandler handler)
        {
            IHttpAdmission admission = handler as IHttpAdmission;
            Parser.StopAtHead = admission != null;
            _admitted = _answered = false;
            ServeRequests(t, handler, admission);
            if (_admitted) { _admitted = false; admission.Abandoned(Parser); }
        }

        private void ServeRequests(IHttpTransport t, IHttpHandler handler, IHttpAdmission admission)
        {
            int start = 0, have = 0;
            bool sentContinue = false;
            Parser.Reset();
            while (true)
            {
                if (have == 0)
                {
                    int r = Parser.InProgress ? t.Read(new Span<byte>(_in), RequestTimeoutMicroseconds) : ReadIdle(t);
                    if (r == TcpError.TimedOut)
                    {
                        if (Parser.InProgress) Error(t, 408, handler);
                        return;
                    }
                    if (r <= 0) return;
                    start = 0; have = r;
                }
                HttpParse st = Parser.Feed(new ReadOnlySpan<byte>(_in, start, have), out int used);
                start += used; have -= used;
                if (st == HttpParse.Error) { Error(t, Parser.ErrorStatus, handler); return; }
                if (st == HttpParse.HeadReady)
                {
                    Response.Attach(ParserBody());
                    Response.Begin();
                    if (admission.Admit(Parser, Response))
                    {
                        _admitted = true;
                        if (Parser.ExpectContinue && !sentContinue) { t.Write(Continue); sentContinue = true; }
                        continue;
                    }
                    if (Parser.ExpectContinue)
                    {
                        t.Write(Response.BuildHead(false));
                        if (Response.BodyLength > 0) t.Write(Response.Body);
                        return;
                    }
                    Parser.DiscardBody();
                    _answered = true;
                    continue;
                }
                if (st == HttpParse.NeedMore)
                {
                    if (Parser.ExpectContinue && Parser.HeadDone && !sentContinue) { t.Write(Continue); sentContinue = true; }
                    continue;
                }
                Requests++;
                bool handled = !_answered;
                if (_answered) _answered = false; // the answer Admit gave is ready in Response
                else
                {
                    _admitted = false; // the handler takes the request over
                    Response.Attach(ParserBody());
                    Response.Begin();
                    handler.Handle(Parser, Response);
                }
                bool keep = Parser.KeepAlive && !Response.Close;
                bool written = t.Write(Response.BuildHead(keep))
                    && (Parser.Method == RequestMethod.Head || Response.Status == 204 || Response.BodyLength == 0 || t.Write(Response.Body));
                if (handled && admission != null) admission.Sent(Parser, Response);
                if (!written || !keep) return;
                Parser.Reset();
                sentContinue = false;
                NetPlatform.Checkpoint();
            }
        }

        /// <summary>
        /// Waits for the first bytes of a request on a connection between requests
        /// (fresh, or kept alive): up to the idle time-out, but in slices of
        /// <see cref="YieldAfterMicroseconds"/>, after each of which the connection
        /// gives its worker up (a time-out: the caller closes it) if other
        /// connections wait in the accept queue. Workers are few and serve one
        /// connection each; without this, clients that open connections and send
        /// nothing for a while (ab does, through QEMU's user network) held every
        /// worker for the whole idle time-out while answered requests queued
        /// behind them (ab -c 50: a 30 s hang). Closing an idle connection is
        /// always allowed to an HTTP/1.1 server (RFC 9112 9.6).
        /// </summary>
        private int ReadIdle(IHttpTransport t)
        {
            long waited = 0;
            while (true)
            {
                long slice = IdleTimeoutMicroseconds - waited < YieldAfterMicroseconds ? IdleTimeoutMicroseconds - waited : YieldAfterMicroseconds;
                int r = t.Read(new Span<byte>(_in), slice);
                if (r != TcpError.TimedOut) return r;
                // The idle clock runs only once the last answer is delivered: on a slow or
                // lossy link its tail can take longer than the idle time-out to arrive, and
                // the client's next request cannot come before it (the lossy-link test saw
                // the connection closed under its GET).
                if (t.Delivered) waited += slice;
                if (waited >= IdleTimeoutMicroseconds) return TcpError.TimedOut;
                if (t.OthersWaiting)
                {
                    // Last look: a request that came in meanwhile is served, not cut off.
                    r = t.Read(new Span<byte>(_in), 0);
                    if (r != TcpError.TimedOut && r != TcpError.WouldBlock) return r;
                    Yielded++;
                    return TcpError.TimedOut;
                }
            }
        }

        private byte[] ParserBody() => Parser.BodyStorage;

        private void Error(IHttpTransport t, int status, IHttpHandler handler)
        {
            Response.Attach(ParserBody());
            Response.Begin();
            if (handler is IHttpErrorWriter writer) writer.WriteError(status, Response);
            else Response.Text(status, HttpResponse.Reason(status));
            t.Write(Response.BuildHead(false));
            t.Write(Response.Body);
        }
    }
}
