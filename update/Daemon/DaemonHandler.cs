using System;
using Molt.Console;
using Molt.Net.Http;
using Molt.Time;
using Molt.Update.Patching;

namespace Molt.Update.Daemon
{
    /// <summary>
    /// The daemon's routes (docs/update-daemon.md): <c>GET /</c>,
    /// <c>GET /status</c>, <c>POST /patches</c>, <c>POST /rollback</c>.
    /// Every answer closes its connection, so a browser's idle keep-alive
    /// connections never hold the daemon's few workers.
    ///
    /// A push:
    /// 1. Admit (its head): the update slot is claimed, or 409 naming its
    ///    holder; the body is then read into the daemon's one upload buffer.
    /// 2. Handle (the whole body): the slot turns to applying, PatchApplier
    ///    applies or refuses the bytes (the signature is checked before
    ///    anything is linked), the answer carries its timings or reason.
    /// 3. The slot is released: after Handle, or in Abandoned when the
    ///    client left or timed out mid-upload (nothing was applied).
    /// Invariant: the upload buffer is written only by the slot's holder.
    /// </summary>
    public sealed class DaemonHandler : IHttpHandler, IHttpAdmission, IHttpErrorWriter
    {
        private readonly byte[] _upload;

        /// <summary>
        /// Reads (the status page polls every 2 s) are logged like every
        /// request, but at most one line per 10 s, counting those in between.
        /// </summary>
        private struct ReadLog
        {
            private ulong _lastNs;
            private long _since;

            public void Note(string request, int status)
            {
                ulong now = Clock.NanosecondsSinceBoot();
                long since = System.Threading.Interlocked.Increment(ref _since);
                if (_lastNs != 0 && now - _lastNs < 10_000_000_000UL) return;
                _lastNs = now;
                System.Threading.Interlocked.Exchange(ref _since, 0);
                if (since > 1) Log.Info("update", $"{request}: {status} ({since - 1} reads since the last line)");
                else Log.Info("update", $"{request}: {status}");
            }
        }
        private ulong _receiveStartNs;

        public DaemonHandler(byte[] upload) { _upload = upload; }

        public bool Admit(HttpRequestParser req, HttpResponse res)
        {
            res.Close = true;
            ReadOnlySpan<byte> target = req.Target;
            if (req.Method != RequestMethod.Post || !HttpRequestParser.Same(target, "/patches"))
                return true; // small bodies (a rollback request) go to the session's own buffer; Handle answers the rest
            if (!UpdateSlot.TryClaim(SlotState.Receiving))
            {
                Answers.Busy(res);
                LogBusy("POST /patches");
                return false;
            }
            if (req.ContentLength > _upload.Length)
            {
                UpdateSlot.Release();
                Answers.Refusal(res, 413, "http", "the bundle is larger than the daemon's upload limit (update.max_bundle=)", -1, default);
                return false;
            }
            req.ReceiveBodyInto(_upload);
            UpdateSlot.Receiving(req, _upload);
            _receiveStartNs = Clock.NanosecondsSinceBoot();
            return true;
        }

        public void Abandoned(HttpRequestParser req)
        {
            // Only a push holds anything across the body.
            if (req.Method != RequestMethod.Post || !HttpRequestParser.Same(req.Target, "/patches")) return;
            Log.Warn("update", $"POST /patches: upload abandoned after {req.BodyLength} of {req.ContentLength} bytes; nothing applied");
            UpdateSlot.Release();
        }

        public void Sent(HttpRequestParser req, HttpResponse res) { } // the daemon lends nothing per request

        /// <summary>The HTTP layer's refusals (malformed request, too large, too slow) as the daemon's JSON.</summary>
        public void WriteError(int status, HttpResponse res)
        {
            string reason;
            switch (status)
            {
                case 408: reason = "the request did not arrive in time (10 s): nothing was applied"; break;
                case 411: reason = "a body needs Content-Length or chunked transfer coding"; break;
                case 413: reason = "the body is larger than the daemon's upload limit (update.max_bundle=)"; break;
                case 431: reason = "the request's head is too large"; break;
                default: reason = HttpResponse.Reason(status); break;
            }
            Answers.Refusal(res, status, "http", reason, -1, default);
            res.Close = true;
        }

        public void Handle(HttpRequestParser req, HttpResponse res)
        {
            res.Close = true;
            ReadOnlySpan<byte> target = req.Target;
            bool get = req.Method == RequestMethod.Get || req.Method == RequestMethod.Head;
            if (HttpRequestParser.Same(target, "/status"))
            {
                if (get) Answers.Status(res); else Answers.MethodNotAllowed(res, "GET");
                _reads.Note("GET /status", res.Status);
                return;
            }
            if (HttpRequestParser.Same(target, "/") || HttpRequestParser.Same(target, "/index.html"))
            {
                if (get) Answers.Page(res); else Answers.MethodNotAllowed(res, "GET");
                _reads.Note("GET /", res.Status);
                return;
            }
            if (HttpRequestParser.Same(target, "/patches"))
            {
                if (req.Method == RequestMethod.Post) Push(req, res); else Answers.MethodNotAllowed(res, "POST");
                return;
            }
            if (HttpRequestParser.Same(target, "/rollback"))
            {
                if (req.Method == RequestMethod.Post) Rollback.Handle(req, res); else Answers.MethodNotAllowed(res, "POST");
                return;
            }
            Answers.Refusal(res, 404, "http", "no such path: the daemon serves /, /status, /patches and /rollback", -1, default);
            LogUnknown(target);
        }

        private static unsafe void LogUnknown(ReadOnlySpan<byte> target)
        {
            int n = target.Length < 128 ? target.Length : 128;
            fixed (byte* t = target) Log.Warn("update", $"request for {new AsciiText(t, n)}: 404 (no such path)");
        }

        /// <summary>A refused request's log line, naming what holds the slot.</summary>
        internal static unsafe void LogBusy(string request)
        {
            byte* holder = stackalloc byte[160];
            int n = UpdateSlot.Describe(new Span<byte>(holder, 160));
            Log.Warn("update", $"{request}: 409: another update is in progress: {new AsciiText(holder, n)}");
        }

        private ReadLog _reads;

        /// <summary>Steps 2-3 of a push: the slot is ours (Admit) and the whole bundle is in the upload buffer.</summary>
        private void Push(HttpRequestParser req, HttpResponse res)
        {
            // Only a request with a body went through Admit and holds the slot.
            bool holdsSlot = req.Chunked || req.ContentLength > 0;
            ReadOnlySpan<byte> bundle = req.Body;
            if (bundle.Length == 0)
            {
                if (holdsSlot) UpdateSlot.Release();
                Answers.Refusal(res, 400, "http", "the request has no body: send the bundle's bytes", -1, default);
                return;
            }
            ulong receiveNs = Clock.NanosecondsSinceBoot() - _receiveStartNs;
            UpdateSlot.Applying();
            PatchReport report = PatchApplier.Apply(bundle);
            UpdateSlot.Release();
            PatchLog.Outcome("POST /patches"u8, in report);

            var entry = new HistoryEntry
            {
                Event = report.Committed ? UpdateEvent.Applied : UpdateEvent.Refused,
                Level = report.Level,
                Sequence = report.Sequence,
                AtMs = Clock.NanosecondsSinceBoot() / 1_000_000,
                TotalUs = (receiveNs + report.TotalNs) / 1000,
                MaxBlockedUs = report.MaxBlockedNs / 1000,
                Reason = report.Committed ? null : report.Reason,
            };
            entry.SetName(report.Name);
            UpdateHistory.Record(in entry);
            Answers.Pushed(res, in report, receiveNs, bundle.Length);
        }
    }
}
