using System;
using Molt.Diagnostics;
using Molt.Time;
using Molt.Update.Bundles;
using Molt.Update.Linker;
using Molt.Update.Trust;

namespace Molt.Update.Patching
{
    /// <summary>
    /// Applies a signed bundle to the running kernel, as one unit, or
    /// refuses it with nothing changed.
    ///
    /// Protocol (each step runs only if the one before accepted):
    /// 1. Parse: the bytes are a well-formed bundle (every offset and length
    ///    checked; a refusal names the byte offset).
    /// 2. Signature: the signer's key id is the kernel's trusted key, and
    ///    Ed25519 verifies the signature over every byte before it. Nothing
    ///    is written to patch memory before this passes.
    /// 3. Policy: the bundle's arch and build id are this kernel's, its base
    ///    level is the current patch level, and its sequence number is newer
    ///    than the last applied one (no replay, no downgrade).
    /// 4. One update at a time: a second caller is refused (Busy) while one runs.
    /// 5. Link: the object is loaded into patch memory and linked against
    ///    the kernel's exports, then the modules of earlier patches (one type
    ///    identity); W^X protections are set.
    /// 6. Init: the module's statics and module initializers run; then its
    ///    entry method runs with a request open (<see cref="Patch"/>) and
    ///    says what it changes.
    /// 7. Match: the request names exactly the updates the bundle declares
    ///    (what was signed is what runs).
    /// 8. Swap: the update core applies the request as one unit (negotiate,
    ///    Forward, Block, transfer, self-check, commit), pushing one level.
    /// 9. Record: the patch joins the stack (<see cref="PatchStack"/>) at
    ///    that level, and its sequence becomes the last one.
    /// Invariants: a failure at step 5-8 unloads the module and frees what
    /// its init allocated that the kernel can name (the request and the
    /// factories in it); the update core left the old versions serving with
    /// their state; level and last sequence are unchanged. The bundle bytes
    /// are only read, and may be freed by the caller right after.
    /// </summary>
    public static unsafe class PatchApplier
    {
        private static int s_busy;

        public static PatchReport Apply(ReadOnlySpan<byte> bundleBytes)
        {
            var report = new PatchReport { Offset = -1, Level = PatchStack.Level };
            ulong start = Clock.NanosecondsSinceBoot();

            // 1. Parse.
            if (!BundleReader.TryParse(bundleBytes, out BundleView bundle, out BundleError parseError))
                return Refuse(ref report, PatchStep.Parse, parseError, start);
            report.SetName(bundle.Name);
            report.Sequence = bundle.Sequence;
            ulong parsed = Clock.NanosecondsSinceBoot();
            report.ParseNs = parsed - start;

            // 2. Signature.
            if (!TrustedKey.IsSigner(bundle.KeyId))
                return Refuse(ref report, PatchStep.Signature, BundleError.At(BundleErrorCode.UnknownSigner, bundle.SignedBytes.Length - BundleFormat.KeyIdSize), start);
            Ed25519Result signature = Ed25519.Check(TrustedKey.PublicKey, bundle.SignedBytes, bundle.Signature);
            if (signature != Ed25519Result.Valid)
            {
                Refuse(ref report, PatchStep.Signature, BundleError.At(BundleErrorCode.BadSignature, bundle.SignedBytes.Length), start);
                report.AppendDetail(Describe(signature));
                return report;
            }
            ulong verified = Clock.NanosecondsSinceBoot();
            report.VerifyNs = verified - parsed;

            // 3. Policy.
            var facts = new KernelFacts
            {
                Arch = ThisArch,
                BuildId = Symbols.BuildId,
                CurrentLevel = (uint)PatchStack.Level,
                LastSequence = PatchStack.LastSequence,
            };
            BundleError policy = BundlePolicy.Check(in bundle, in facts);
            if (!policy.IsOk) return Refuse(ref report, PatchStep.Policy, policy, start);

            // 4. One at a time.
            if (System.Threading.Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
            {
                report.Step = PatchStep.Busy;
                report.Reason = "another update is being applied";
                report.TotalNs = Clock.NanosecondsSinceBoot() - start;
                return report;
            }
            PatchReport result = PatchStack.IsFull
                ? Fail(ref report, PatchStep.Policy, "the patch stack is full: roll back before applying more", start)
                : LinkAndSwap(ref report, in bundle, start, verified);
            System.Threading.Volatile.Write(ref s_busy, 0);
            return result;
        }

        private static PatchReport LinkAndSwap(ref PatchReport report, in BundleView bundle, ulong start, ulong verified)
        {
            // 5. Link.
            var linkError = new LinkError();
            bool loaded = PatchLoader.Load(bundle.Object, out PatchModule module, ref linkError);
            ulong linked = Clock.NanosecondsSinceBoot();
            report.LinkNs = linked - verified;
            if (!loaded) return Failed(ref report, PatchStep.Link, "the patch object could not be linked", ref linkError, start);
            report.ModuleBytes = module.TextSize + module.RodataSize + module.DataSize;

            // 6. Init, then the entry method with a request open.
            if (!PatchLoader.Initialize(module, ref linkError))
            {
                PatchLoader.Unload(module);
                return Failed(ref report, PatchStep.Init, "the patch's module initialization failed", ref linkError, start);
            }
            if (!module.TryFind(bundle.EntrySymbol, out ulong entry) || entry == 0)
            {
                PatchLoader.Unload(module);
                report.AppendDetail(bundle.EntrySymbol);
                return Fail(ref report, PatchStep.Init, "the bundle's entry symbol is not defined by its object", start);
            }
            // The patch's name: the update core's level record and the patch stack
            // share it; freed when the patch fails here or is rolled back.
            string name = PatchStack.NameOf(bundle.Name);
            UpdateRequest request = UpdateRequest.Create(name, BundleFormat.MaxUpdates, BundleFormat.MaxUpdates);
            report.PublishedBefore = PatchTargets.Count;
            Patch.Open(request);
            bool registered = ((delegate*<bool>)entry)();
            Patch.Close();
            ulong initialized = Clock.NanosecondsSinceBoot();
            report.InitNs = initialized - linked;
            if (!registered || !request.IsValid)
            {
                if (!request.IsValid) { report.AppendDetail(request.ErrorClass); report.AppendDetail(": "); report.AppendDetail(request.Error); }
                else report.AppendDetail("PatchMain.Register returned false");
                Discard(request, module, report.PublishedBefore);
                return Fail(ref report, PatchStep.Init, "the patch's entry method refused or registered an invalid update", start);
            }

            // 7. What was signed is what runs.
            if (!Matches(in bundle, request, ref report))
            {
                Discard(request, module, report.PublishedBefore);
                return Fail(ref report, PatchStep.Match, "the patch registered updates other than those its bundle declares", start);
            }

            // 8. Swap, as one unit (a patch that only adds types has nothing to swap).
            bool swapped = request.ClassEntries + request.ObjectEntries != 0;
            UpdateReport swap = !swapped
                ? new UpdateReport { Outcome = SwapOutcome.Committed, Level = UpdateManager.Level }
                : UpdateManager.Apply(request);
            report.SwapNs = Clock.NanosecondsSinceBoot() - initialized;
            report.MaxBlockedNs = swap.MaxBlockedNs;
            if (!swap.Committed)
            {
                report.AppendDetail(swap.ClassName);
                report.AppendDetail(": ");
                report.AppendDetail(swap.Reason);
                Discard(request, module, report.PublishedBefore);
                return Fail(ref report, PatchStep.Swap, "the update core did not commit the patch; the old versions serve", start);
            }
            request.Free(); // the update core keeps its own copy of what it changed

            // 9. Record.
            report.TotalNs = Clock.NanosecondsSinceBoot() - start;
            PatchStack.Push(module, in bundle, name, swap.Level, swapped, report.PublishedBefore, in report);
            report.Level = PatchStack.Level;
            report.Step = PatchStep.Committed;
            report.Reason = "applied";
            return report;
        }

        /// <summary>The request's entries against the bundle's declared updates: same count, each target and to-version declared once.</summary>
        private static bool Matches(in BundleView bundle, UpdateRequest request, ref PatchReport report)
        {
            int declared = 0;
            for (int u = 0; u < bundle.UpdateCount; u++)
            {
                BundleUpdate d = bundle.GetUpdate(u);
                if (d.Kind != UpdateKind.NewType) { declared++; continue; }
                // A new type is declared by the class the patch published under that name.
                if (!PublishedSince(report.PublishedBefore, d.Target))
                {
                    report.AppendDetail("new type "); report.AppendDetail(d.Target);
                    report.AppendDetail(" was not published by the patch");
                    return false;
                }
            }
            int registered = request.ClassEntries + request.ObjectEntries;
            if (declared != registered)
            {
                report.AppendDetail("declared "); report.AppendDetail(declared);
                report.AppendDetail(", registered "); report.AppendDetail(registered);
                return false;
            }
            for (int i = 0; i < request.ClassEntries; i++)
            {
                UpdatableClass cls = request.ClassAt(i);
                UpdatableFactory to = request.ClassTargetAt(i);
                bool found = false;
                for (int u = 0; u < bundle.UpdateCount && !found; u++)
                {
                    BundleUpdate d = bundle.GetUpdate(u);
                    if (d.Kind == UpdateKind.NewType) continue;
                    found = SameName(d.Target, cls.Name) && d.ToVersion == (uint)to.Version && d.FromVersion == (uint)cls.Version;
                }
                if (!found)
                {
                    report.AppendDetail("class "); report.AppendDetail(cls.Name);
                    report.AppendDetail(" to version "); report.AppendDetail(to.Version);
                    report.AppendDetail(" is not declared");
                    return false;
                }
            }
            // Object swaps name no class: they are matched by count (above) only.
            return true;
        }

        private static string Describe(Ed25519Result r)
        {
            switch (r)
            {
                case Ed25519Result.BadSignature: return "the signature does not match the bundle and the trusted key";
                case Ed25519Result.WrongKeyLength: return "the trusted key is not 32 bytes";
                case Ed25519Result.WrongSignatureLength: return "the signature is not 64 bytes";
                case Ed25519Result.MalformedPublicKey: return "the trusted key is not a curve point";
                case Ed25519Result.SmallOrderPublicKey: return "the trusted key has small order";
                case Ed25519Result.MalformedR: return "the signature's R is not a curve point";
                case Ed25519Result.NonCanonicalS: return "the signature's S is not below the group order";
                default: return "unknown";
            }
        }

        private static bool PublishedSince(int before, ReadOnlySpan<byte> name)
        {
            for (int i = before; i < PatchTargets.Count; i++)
                if (SameName(name, PatchTargets.At(i).Name)) return true;
            return false;
        }

        private static bool SameName(ReadOnlySpan<byte> utf8, string name)
        {
            if ((object)name == null || utf8.Length != name.Length) return false;
            for (int i = 0; i < utf8.Length; i++)
                if (utf8[i] != name[i]) return false;
            return true;
        }

        private static void Discard(UpdateRequest request, PatchModule module, int publishedBefore)
        {
            PatchTargets.UnpublishFrom(publishedBefore);
            string name = request.Name;
            request.FreeWithFactories();
            Memory.Heap.Free(name);
            PatchLoader.Unload(module);
        }

        private static PatchReport Refuse(ref PatchReport report, PatchStep step, BundleError error, ulong start)
        {
            report.Step = step;
            report.Reason = error.Reason;
            report.Offset = error.Offset;
            report.TotalNs = Clock.NanosecondsSinceBoot() - start;
            return report;
        }

        private static PatchReport Failed(ref PatchReport report, PatchStep step, string reason, ref LinkError error, ulong start)
        {
            byte* text = stackalloc byte[LinkError.Capacity];
            int n = error.Length < LinkError.Capacity ? error.Length : LinkError.Capacity;
            for (int i = 0; i < n; i++) text[i] = error[i];
            report.AppendDetail(new ReadOnlySpan<byte>(text, n));
            return Fail(ref report, step, reason, start);
        }

        private static PatchReport Fail(ref PatchReport report, PatchStep step, string reason, ulong start)
        {
            report.Step = step;
            report.Reason = reason;
            report.TotalNs = Clock.NanosecondsSinceBoot() - start;
            return report;
        }

        /// <summary>This kernel's arch, as bundles name it (from the HAL's ELF machine).</summary>
        private static BundleArch ThisArch => Hal.Cpu.ElfMachine() == 62 ? BundleArch.X64 : BundleArch.Arm64;
    }
}
