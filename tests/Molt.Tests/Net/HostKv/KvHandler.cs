#nullable disable
using System;
using Molt.Net.Http;

namespace Molt.Net.Kv
{
    /// <summary>
    /// HTTP front of the key-value store: <c>GET|PUT|DELETE /kv/&lt;key&gt;</c>.
    /// GET 200 with the value or 404; PUT 201 (created) or 204 (replaced),
    /// 413 beyond 1 MiB, 503 when the store is full; DELETE 204 or 404;
    /// another method on /kv/ 405 (with Allow); any other path 404; a key
    /// that is empty, too long or has bytes outside [A-Za-z0-9._~-] 400.
    /// A host test double for the HTTP server's tests: the kernel serves the
    /// updatable store in services/Kv (KvHttpHandler) instead; this one takes
    /// a plain table, so the HTTP state machine is tested without the kernel.
    /// </summary>
    public sealed class KvHandler : IHttpHandler
    {
        public IKvStore Store;
        public long Gets, Puts, Deletes;

        public void Handle(HttpRequestParser req, HttpResponse res)
        {
            ReadOnlySpan<byte> target = req.Target;
            if (HttpRequestParser.Same(target, "/") && req.Method == RequestMethod.Get) { res.Text(200, "molt kv: GET/PUT/DELETE /kv/<key>\n"); return; }
            if (target.Length < 4 || !HttpRequestParser.Same(target.Slice(0, 4), "/kv/")) { res.Text(404, "not found\n"); return; }
            ReadOnlySpan<byte> key = target.Slice(4);
            if (key.Length == 0 || key.Length > KvTable.MaxKey || !ValidKey(key)) { res.Text(400, "bad key\n"); return; }
            Dispatch(Store, req, res, key);
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

        private void Dispatch(IKvStore store, HttpRequestParser req, HttpResponse res, ReadOnlySpan<byte> key)
        {
            switch (req.Method)
            {
                case RequestMethod.Get:
                case RequestMethod.Head:
                    {
                        Gets++;
                        int n = store.Get(key, res.BodyBuffer);
                        if (n < 0) { res.Text(n == -1 ? 404 : 500, n == -1 ? "no such key\n" : "value too large\n"); return; }
                        res.Status = 200; res.BodyLength = n;
                        return;
                    }
                case RequestMethod.Put:
                    {
                        Puts++;
                        int r = store.Put(key, req.Body);
                        if (r == 1) { res.Text(201, "created\n"); return; }
                        if (r == 0) { res.Status = 204; res.BodyLength = 0; return; }
                        if (r == -2) { res.Text(413, "value too large\n"); return; }
                        res.Text(503, "store full\n"); res.RetryAfter = true;
                        return;
                    }
                case RequestMethod.Delete:
                    Deletes++;
                    if (store.Delete(key)) { res.Status = 204; res.BodyLength = 0; }
                    else res.Text(404, "no such key\n");
                    return;
                default:
                    res.Text(405, "method not allowed\n"); res.Allow = "GET, PUT, DELETE";
                    return;
            }
        }
    }
}
