using System;
using Molt.Console;
using Molt.Net;
using Molt.Net.Http;
using Molt.Update;

namespace Molt.Services.Kv
{
    /// <summary>
    /// The key-value service over HTTP/1.1: <c>GET|PUT|DELETE /kv/&lt;key&gt;</c>
    /// answered from the updatable store (<see cref="KvService.Store"/>),
    /// which every request reaches through the object table, so a patch that
    /// replaces the store changes the answers from the next request on.
    /// GET 200 with the value (header-free: the body is the value) or 404;
    /// PUT 201 (created) or 204 (replaced), 413 beyond 1 MiB, 507 when the heap cannot hold it;
    /// DELETE 204 or 404; another method 405 (with Allow); any other path 404;
    /// an empty, over-long or non-[A-Za-z0-9._~-] key 400.
    ///
    /// Each worker's own buffer holds small values; a larger body or answer
    /// borrows one of a few large buffers (<see cref="BodyPool"/>): taken in
    /// Admit (a body) or Dispatch (an answer), returned in Sent or Abandoned.
    /// When all are out the request gets 503 with Retry-After, and nothing
    /// is stored.
    /// </summary>
    public sealed class KvHttpHandler : IHttpHandler, IHttpAdmission
    {
        private readonly BodyPool _large;
        public long Gets, Puts, Deletes, LargeBusy;

        public KvHttpHandler(BodyPool large) { _large = large; }

        public bool Admit(HttpRequestParser req, HttpResponse res)
        {
            if (!req.Chunked && req.ContentLength <= req.BodyStorage.Length) return true;
            byte[] big = _large.Take();
            if (big == null) { Busy(res); return false; }
            req.ReceiveBodyInto(big);
            return true;
        }

        // Return ignores buffers that are not the pool's (the worker's own).
        public void Abandoned(HttpRequestParser req) => _large.Return(req.BodyTarget);

        public void Sent(HttpRequestParser req, HttpResponse res)
        {
            _large.Return(req.BodyTarget);
            _large.Return(res.Buffer);
        }

        private void Busy(HttpResponse res)
        {
            System.Threading.Interlocked.Increment(ref LargeBusy);
            res.Text(503, "every large-value buffer is in use: retry\n");
            res.RetryAfter = true;
        }

        public void Handle(HttpRequestParser req, HttpResponse res)
        {
            ReadOnlySpan<byte> target = req.Target;
            if (HttpRequestParser.Same(target, "/") && req.Method == RequestMethod.Get) { res.Text(200, "molt kv: GET/PUT/DELETE /kv/<key>\n"); return; }
            if (target.Length < 4 || !HttpRequestParser.Same(target.Slice(0, 4), "/kv/")) { res.Text(404, "not found\n"); return; }
            ReadOnlySpan<byte> key = target.Slice(4);
            if (key.Length == 0 || key.Length > KvStore.MaxKeyBytes || !ValidKey(key)) { res.Text(400, "bad key\n"); return; }
            using (var call = Objects.Use<KvStore>(KvService.Store)) Dispatch(call.Target, req, res, key);
        }

        private static bool ValidKey(ReadOnlySpan<byte> k)
        {
            for (int i = 0; i < k.Length; i++)
            {
                byte c = k[i];
                bool ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '~';
                if (!ok) return false;
            }
            return true;
        }

        private void Dispatch(KvStore store, HttpRequestParser req, HttpResponse res, ReadOnlySpan<byte> key)
        {
            switch (req.Method)
            {
                case RequestMethod.Get:
                case RequestMethod.Head:
                    {
                        Gets++;
                        KvResult r = store.Get(key, res.BodyBuffer, out int n);
                        if (r == KvResult.BufferTooSmall)
                        {
                            byte[] big = _large.Take();
                            if (big == null) { Busy(res); return; }
                            res.Attach(big);
                            r = store.Get(key, res.BodyBuffer, out n);
                        }
                        if (r == KvResult.Ok) { res.Status = 200; res.BodyLength = n; return; }
                        if (r == KvResult.NotFound) res.Text(404, "no such key\n");
                        else res.Text(500, "value larger than the response buffer\n");
                        return;
                    }
                case RequestMethod.Put:
                    {
                        Puts++;
                        // 201 for a new key, 204 for a replaced value (a racing PUT may blur the two; both stored).
                        bool existed = store.Get(key, default, out _) != KvResult.NotFound;
                        KvResult r = store.Put(key, req.Body);
                        if (r == KvResult.Ok && !existed) { res.Text(201, "created\n"); return; }
                        if (r == KvResult.Ok) { res.Status = 204; res.BodyLength = 0; return; }
                        if (r == KvResult.TooLarge) { res.Text(413, "value too large\n"); return; }
                        res.Text(507, "out of memory: the value was not stored\n");
                        return;
                    }
                case RequestMethod.Delete:
                    Deletes++;
                    if (store.Delete(key) == KvResult.Ok) { res.Status = 204; res.BodyLength = 0; }
                    else res.Text(404, "no such key\n");
                    return;
                default:
                    res.Text(405, "method not allowed\n"); res.Allow = "GET, PUT, DELETE";
                    return;
            }
        }
    }

    /// <summary>Serves the store on a TCP port of a network stack.</summary>
    public static class KvHttp
    {
        /// <summary>Each worker's own buffer: values up to this size need no large buffer.</summary>
        public const int WorkerBuffer = 16 * 1024;
        public const int LargeBuffers = 4;

        /// <summary>
        /// Starts an HTTP server for the store on <paramref name="port"/> with
        /// that many worker threads (one per connection served at once; the
        /// rest wait in the backlog); null (logged) if it cannot.
        /// </summary>
        public static HttpServer Start(NetStack stack, ushort port, int workers, int requestTimeoutSeconds = 10)
        {
            if (!KvService.Store.IsValid) { Log.Warn("kv", $"no store to serve"); return null; }
            var pool = new BodyPool(LargeBuffers, KvStore.MaxValueBytes);
            var server = new HttpServer(stack, port, workers, 64, 8192, KvStore.MaxValueBytes, new KvHttpHandler(pool), WorkerBuffer);
            if (!server.Listening) { Log.Warn("kv", $"cannot listen on port {port}"); return server; }
            for (int i = 0; i < server.Sessions.Length; i++) server.Sessions[i].RequestTimeoutMicroseconds = (long)requestTimeoutSeconds * 1_000_000;
            server.StartWorkers();
            Log.Info("kv", $"serving /kv/<key> over HTTP/1.1 on port {port} ({workers} connections at once, {LargeBuffers} buffers for values over {WorkerBuffer / 1024} KiB)");
            return server;
        }
    }
}
