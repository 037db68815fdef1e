using System;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Net.Http;
using Molt.Time;
using Molt.Update.Bundles;
using Molt.Update.Patching;
using Molt.Update.Trust;

namespace Molt.Update.Daemon
{
    /// <summary>
    /// <c>POST /rollback</c>: a signed request (update/Bundles/RollbackFormat.cs)
    /// returns the kernel to a patch level.
    /// 1. Parse: a well-formed request, or 400 naming the byte.
    /// 2. Claim the update slot, or 409 naming its holder: from here the
    ///    level and the top patch cannot change under the checks.
    /// 3. Policy: this arch and build, signed at this level for this top
    ///    patch (else 409: stale or replayed), by the trusted key (else 403).
    /// 4. Signature: Ed25519 over bytes 0..71 with the trusted key, or 403.
    /// 5. PatchStack.RollbackTo, one level at a time; 422 when the update
    ///    core stops (the level reached is reported).
    /// 6. Release the slot; record the event; log it.
    /// </summary>
    public static class Rollback
    {
        public static void Handle(HttpRequestParser req, HttpResponse res)
        {
            // 1. Parse.
            if (!RollbackReader.TryParse(req.Body, out RollbackView request, out BundleError parseError))
            {
                Refused(res, 400, "parse", parseError.Reason, parseError.Offset, -1);
                return;
            }
            // 2. One update at a time.
            if (!UpdateSlot.TryClaim(SlotState.RollingBack)) { Answers.Busy(res); DaemonHandler.LogBusy("POST /rollback"); return; }
            UpdateSlot.RollingBackTo((int)request.ToLevel);
            int from = PatchStack.Level;
            PatchRecord top = PatchStack.At(from);

            // 3. Policy.
            var facts = new RollbackFacts
            {
                Arch = Hal.Cpu.ElfMachine() == 62 ? BundleArch.X64 : BundleArch.Arm64,
                BuildId = Symbols.BuildId,
                CurrentLevel = (uint)from,
                TopSequence = top == null ? 0 : top.Sequence,
            };
            BundleError policy = RollbackPolicy.Check(in request, in facts);
            if (!policy.IsOk)
            {
                UpdateSlot.Release();
                Refused(res, 409, "policy", policy.Reason, policy.Offset, (int)request.ToLevel);
                return;
            }
            if (!TrustedKey.IsSigner(request.KeyId))
            {
                UpdateSlot.Release();
                Refused(res, 403, "signature", BundleError.At(BundleErrorCode.UnknownSigner, RollbackFormat.OffKeyId).Reason, RollbackFormat.OffKeyId, (int)request.ToLevel);
                return;
            }
            // 4. Signature.
            if (Ed25519.Check(TrustedKey.PublicKey, request.SignedBytes, request.Signature) != Ed25519Result.Valid)
            {
                UpdateSlot.Release();
                Refused(res, 403, "signature", "the rollback request's signature does not match it and the trusted key", RollbackFormat.OffSignature, (int)request.ToLevel);
                return;
            }
            // 5. Roll back.
            string undone = top == null ? null : top.Name; // read before the record is freed
            var entry = new HistoryEntry { Event = UpdateEvent.RolledBack, Sequence = top == null ? 0 : top.Sequence };
            entry.SetName(undone);
            UpdateReport rb = PatchStack.RollbackTo((int)request.ToLevel);
            UpdateSlot.Release();

            // 6. Record and answer.
            entry.Level = PatchStack.Level;
            entry.AtMs = Clock.NanosecondsSinceBoot() / 1_000_000;
            entry.TotalUs = rb.TotalNs / 1000;
            entry.MaxBlockedUs = rb.MaxBlockedNs / 1000;
            if (!rb.Committed)
            {
                entry.Event = UpdateEvent.Refused;
                entry.Reason = rb.Reason;
                UpdateHistory.Record(in entry);
                Log.Warn("update", $"POST /rollback: rollback to level {request.ToLevel} stopped at level {PatchStack.Level}: {rb.Reason}");
                Log.Warn("update", $"POST /rollback: 422 at rollback: {rb.Reason}");
                Answers.Refusal(res, 422, "rollback", rb.Reason, -1, default);
                return;
            }
            UpdateHistory.Record(in entry);
            Log.Info("update", $"POST /rollback: rolled back from level {from} to level {PatchStack.Level} in {rb.TotalNs / 1000} us (longest blocked call {rb.MaxBlockedNs / 1000} us)");
            var json = new JsonWriter(res.BodyBuffer);
            json.BeginObject();
            json.Field("outcome", "rolled_back");
            json.Field("from", (long)from);
            json.Field("level", (long)PatchStack.Level);
            json.Field("total_us", rb.TotalNs / 1000);
            json.Field("max_blocked_us", rb.MaxBlockedNs / 1000);
            json.EndObject();
            res.Status = 200;
            res.BodyLength = json.Length;
            res.ContentType = "application/json";
        }

        /// <summary>
        /// A rollback refused before it started: logged, answered, and kept in
        /// the history (a forged or replayed request is what an operator wants
        /// to see), named "rollback to level N" ("rollback" when unreadable).
        /// </summary>
        private static void Refused(HttpResponse res, int status, string step, string reason, int offset, int toLevel)
        {
            Log.Warn("update", $"POST /rollback: {status} at {step}: {reason}");
            Answers.Refusal(res, status, step, reason, offset, default);
            var name = new TextBuilder(stackalloc byte[HistoryEntry.NameCapacity]);
            name.Append("rollback");
            if (toLevel >= 0) { name.Append(" to level "); name.Append(toLevel); }
            var entry = new HistoryEntry
            {
                Event = UpdateEvent.Refused,
                Level = PatchStack.Level,
                AtMs = Clock.NanosecondsSinceBoot() / 1_000_000,
                Reason = reason,
            };
            entry.SetName(name.Text);
            UpdateHistory.Record(in entry);
        }
    }
}
