using System;
using Molt.Net.Http;
using Molt.Update.Patching;

namespace Molt.Update.Daemon
{
    /// <summary>The daemon's answers, written as JSON into the response's borrowed body buffer (docs/update-daemon.md).</summary>
    public static class Answers
    {
        private const string Json = "application/json";

        /// <summary>The HTTP status for a patch refused at <paramref name="step"/>.</summary>
        public static int StatusOf(PatchStep step)
        {
            switch (step)
            {
                case PatchStep.Committed: return 200;
                case PatchStep.Parse: return 400;
                case PatchStep.Signature: return 403;
                case PatchStep.Policy: return 409;
                case PatchStep.Busy: return 409;
                default: return 422;
            }
        }

        public static void Status(HttpResponse res)
        {
            var json = new JsonWriter(res.BodyBuffer);
            StatusJson.Write(ref json);
            Finish(res, 200, ref json);
        }

        public static void Page(HttpResponse res)
        {
            ReadOnlySpan<byte> html = StatusPage.Html;
            if (html.Length > res.BodyBuffer.Length) { Refusal(res, 500, "http", "the status page is larger than the response buffer", -1, default); return; }
            html.CopyTo(res.BodyBuffer);
            res.Status = 200;
            res.BodyLength = html.Length;
            res.ContentType = "text/html; charset=utf-8";
        }

        public static void Busy(HttpResponse res)
        {
            Span<byte> holder = stackalloc byte[160];
            int n = UpdateSlot.Describe(holder);
            var reason = new TextBuilder(stackalloc byte[200]);
            reason.Append("another update is in progress: ");
            reason.Append(holder.Slice(0, n));
            var json = new JsonWriter(res.BodyBuffer);
            json.BeginObject();
            json.Field("outcome", "busy");
            json.Field("step", "busy");
            json.Field("status", 409L);
            json.Field("reason", reason.Text);
            json.Field("offset", -1L);
            json.Field("detail", "");
            json.Field("level", (long)PatchStack.Level);
            json.EndObject();
            Finish(res, 409, ref json);
        }

        public static void MethodNotAllowed(HttpResponse res, string allow)
        {
            Refusal(res, 405, "http", "method not allowed here", -1, default);
            res.Allow = allow;
        }

        /// <summary>A refusal outside the applier's steps (HTTP, rollback), in the same shape.</summary>
        public static void Refusal(HttpResponse res, int status, string step, string reason, long offset, ReadOnlySpan<byte> detail)
        {
            var json = new JsonWriter(res.BodyBuffer);
            json.BeginObject();
            json.Field("outcome", "refused");
            json.Field("step", step);
            json.Field("status", (long)status);
            json.Field("reason", reason);
            json.Field("offset", offset);
            json.Field("detail", detail);
            json.Field("level", (long)PatchStack.Level);
            json.EndObject();
            Finish(res, status, ref json);
        }

        /// <summary>The answer to a push: applied with its timings, or refused with its step, reason, offset and detail.</summary>
        public static void Pushed(HttpResponse res, in PatchReport r, ulong receiveNs, int bytes)
        {
            int status = StatusOf(r.Step);
            var json = new JsonWriter(res.BodyBuffer);
            json.BeginObject();
            if (r.Committed)
            {
                json.Field("outcome", "applied");
                json.Field("name", r.Name);
                json.Field("sequence", r.Sequence);
                json.Field("level", (long)r.Level);
                json.Field("bytes", (long)bytes);
                json.Field("module_bytes", r.ModuleBytes);
                json.Key("timings_us");
                json.BeginObject();
                json.Field("receive", receiveNs / 1000);
                json.Field("parse", r.ParseNs / 1000);
                json.Field("verify", r.VerifyNs / 1000);
                json.Field("link", r.LinkNs / 1000);
                json.Field("init", r.InitNs / 1000);
                json.Field("swap", r.SwapNs / 1000);
                json.Field("total", (receiveNs + r.TotalNs) / 1000);
                json.Field("max_blocked", r.MaxBlockedNs / 1000);
                json.EndObject();
            }
            else
            {
                json.Field("outcome", r.Step == PatchStep.Busy ? "busy" : "refused");
                json.Field("step", PatchLog.StepName(r.Step));
                json.Field("status", (long)status);
                json.Field("reason", r.Reason);
                json.Field("offset", (long)r.Offset);
                json.Field("detail", r.Detail);
                json.Field("name", r.Name);
                json.Field("level", (long)r.Level);
            }
            json.EndObject();
            Finish(res, status, ref json);
        }

        private static void Finish(HttpResponse res, int status, ref JsonWriter json)
        {
            if (json.Overflowed) { res.Text(500, "the answer is larger than the response buffer\n"); return; }
            res.Status = status;
            res.BodyLength = json.Length;
            res.ContentType = Json;
        }
    }
}
