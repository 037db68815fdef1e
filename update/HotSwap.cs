using System.Threading;
using Molt.Console;
using Molt.Memory;
using Molt.Threading;
using Molt.Time;

namespace Molt.Update
{
    /// <summary>
    /// Swaps a set of objects to new versions as one unit (K42's hot swap).
    /// The caller holds the update lock (<see cref="UpdateManager"/>) and is
    /// not inside an operation. Failures are reported with their step
    /// (<see cref="UpdateStep"/>) in the caller's <see cref="UpdateReport"/>.
    ///
    /// 1. Negotiate: for each object, the highest state format its version
    ///    exports and the new version imports. None: fail, nothing changed.
    /// 2. Forward: set each root to Forward and clear its LTT entries; every
    ///    call now misses, is counted by the mediator and goes to the old
    ///    version. Wait for a system-wide quiescent point: every call that
    ///    bypassed the mediator (begun before) has ended.
    /// 3. Block: new calls wait; calls already counted, and calls by their
    ///    threads into any object of the set (recursion, chains and cycles
    ///    within the set), continue. Wait for the counted calls to drain.
    /// 4. Transfer: make the new representatives (per CPU where the class
    ///    has per-CPU representatives) and import the old state into them.
    /// 5. Commit: install the new representatives and factories, run their
    ///    self-checks, then release the blocked callers (Normal). A failed
    ///    self-check puts the old representatives back before anyone sees
    ///    the new ones.
    /// 6. Free the old representatives after another quiescent point.
    ///
    /// Invariants: until step 5 the old representatives are never changed by
    /// the protocol, so every abort (a time-out in 2 or 3, a failed transfer)
    /// restores Normal with the old state intact. The set commits all or
    /// nothing. A wait that no admission rule can break (a thread inside A
    /// waiting for a thread that waits in A's Block phase, through a lock or
    /// an object outside the set) cannot hang: step 3 times out and aborts.
    /// </summary>
    public static unsafe class HotSwap
    {
        public static ulong ForwardTimeoutNs = 2_000_000_000;
        public static ulong DrainTimeoutNs = 500_000_000;

        private static long s_maxBlockedNs;
        private static long s_blockedCalls;

        /// <summary>The longest time any single call waited in a Block phase since the last reset.</summary>
        public static ulong MaxBlockedNs => (ulong)Volatile.Read(in s_maxBlockedNs);
        public static long BlockedCalls => Volatile.Read(in s_blockedCalls);
        public static void ResetBlockedStatistics() { Volatile.Write(ref s_maxBlockedNs, 0); Volatile.Write(ref s_blockedCalls, 0); }

        private static bool IsReleased(nint root) => Volatile.Read(in Molt.Memory.ObjectRef.FromAddress<ObjectRoot>(root).State) != (int)RootState.Block;
        private static void SetNormal(nint root) => Volatile.Write(ref Molt.Memory.ObjectRef.FromAddress<ObjectRoot>(root).State, (int)RootState.Normal);

        /// <summary>A caller that met the Block phase waits here until the swap commits or aborts.</summary>
        internal static void WaitWhileBlocked(ObjectRoot root)
        {
            ulong start = Clock.NanosecondsSinceBoot();
            root.Blocked.WaitFor(&IsReleased, Molt.Memory.ObjectRef.AddressOf(root));
            long waited = (long)(Clock.NanosecondsSinceBoot() - start);
            Interlocked.Increment(ref s_blockedCalls);
            long max;
            while (waited > (max = Volatile.Read(in s_maxBlockedNs)))
                if (Interlocked.CompareExchange(ref s_maxBlockedNs, waited, max) == max) break;
            while (waited > (max = Volatile.Read(in s_updateMaxBlockedNs)))
                if (Interlocked.CompareExchange(ref s_updateMaxBlockedNs, waited, max) == max) break;
        }

        private static void Release(ObjectRoot root)
        {
            root.SwapSet = null;
            root.SwapSetCount = 0;
            root.Blocked.Signal(&SetNormal, Molt.Memory.ObjectRef.AddressOf(root), true);
            Objects.FlushEverywhere(root.Id);
        }

        private static void Abort(ObjectRoot[] roots, int n)
        {
            for (int i = 0; i < n; i++) Release(roots[i]);
        }

        private static bool Fail(ref UpdateReport r, SwapOutcome outcome, UpdateStep step, string reason, ObjectRoot root)
        {
            r.Outcome = outcome;
            r.Step = step;
            r.Reason = reason;
            r.ObjectId = root != null ? root.Id : 0;
            r.ClassName = root != null && root.Class != null ? root.Class.Name : null;
            Log.Warn("update", $"swap of {r.Objects} objects failed in the {UpdateReport.StepName(step)} step: {reason} (object {r.ObjectId})");
            return false;
        }

        private static long s_updateMaxBlockedNs;

        /// <summary>Waits for a system-wide marker, adding the wait to the report's quiescence time.</summary>
        internal static bool Marker(ref UpdateReport r, ulong timeoutNs, out int stuck)
        {
            ulong t0 = Clock.NanosecondsSinceBoot();
            bool ok = Quiescence.WaitForMarker(timeoutNs, out stuck);
            r.QuiescenceNs += Clock.NanosecondsSinceBoot() - t0;
            return ok;
        }

        internal static bool Marker(ref UpdateReport r) { int stuck; return Marker(ref r, Quiescence.DefaultTimeoutNs, out stuck); }

        /// <summary>
        /// Runs steps 1-6 on <paramref name="n"/> roots, to the factories
        /// <paramref name="to"/>. True when committed; false with the
        /// outcome, step, reason and object in <paramref name="r"/>, every
        /// root back in Normal serving its old representatives. Adds its
        /// timings to <paramref name="r"/>. The arrays stay the caller's.
        /// </summary>
        internal static bool Run(ObjectRoot[] roots, UpdatableFactory[] to, int n, ref UpdateReport r)
        {
            ulong start = Clock.NanosecondsSinceBoot();
            Volatile.Write(ref s_updateMaxBlockedNs, 0);
            // 1. Negotiate.
            int* format = stackalloc int[n > 0 ? n : 1];
            for (int i = 0; i < n; i++)
            {
                format[i] = UpdatableFactory.Negotiate(roots[i].Factory.ExportFormats, to[i].ImportFormats);
                if (format[i] < 0) return Fail(ref r, SwapOutcome.NoCommonFormat, UpdateStep.Negotiate, "no state format in common between the old and new versions", roots[i]);
                r.Format = format[i];
            }
            // 2. Forward.
            for (int i = 0; i < n; i++)
            {
                roots[i].PrepareForSwap();
                roots[i].SwapSet = roots;
                roots[i].SwapSetCount = n;
                Volatile.Write(ref roots[i].State, (int)RootState.Forward);
                Objects.FlushEverywhere(roots[i].Id);
            }
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.AfterForwardFlush, n > 0 ? roots[0].Id : 0);
            int stuck;
            if (!Marker(ref r, ForwardTimeoutNs, out stuck))
            {
                Abort(roots, n);
                r.StuckCpu = stuck;
                return Fail(ref r, SwapOutcome.QuiescenceTimeout, UpdateStep.Forward, "no quiescent point: an operation kept running on a CPU past the time-out", roots[0]);
            }
            ulong blockStart = Clock.NanosecondsSinceBoot();
            r.ForwardNs += blockStart - start;
            // 3. Block, then drain the counted calls.
            // A full fence before reading the counts (Objects.Miss counts first, then reads State).
            for (int i = 0; i < n; i++) Interlocked.Exchange(ref roots[i].State, (int)RootState.Block);
            int depth = Operations.Pause();
            ulong deadline = blockStart + DrainTimeoutNs;
            int busy = -1;
            while (true)
            {
                busy = -1;
                for (int i = 0; i < n; i++) if (Volatile.Read(in roots[i].InFlight) != 0) { busy = i; break; }
                if (busy < 0 || Clock.NanosecondsSinceBoot() >= deadline) break;
                Scheduler.Sleep(100_000);
            }
            Operations.Resume(depth);
            if (busy >= 0)
            {
                Abort(roots, n);
                return Fail(ref r, SwapOutcome.DrainTimeout, UpdateStep.Block, "calls inside the objects did not drain (a call cycle among the objects swapped together?)", roots[busy]);
            }
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.AfterDrain, n > 0 ? roots[0].Id : 0);
            // 4. Transfer into new representatives.
            var fresh = new object[n][];
            for (int i = 0; i < n; i++)
            {
                ObjectRoot root = roots[i];
                int count = to[i].PerCpu ? Smp.Processors.Count : 1;
                fresh[i] = new object[count];
                for (int c = 0; c < count; c++)
                {
                    object made = to[i].CreateRepresentative(root, c);
                    object old = root.Shared ?? (root.PerCpu != null && c < root.PerCpu.Length ? root.PerCpu[c] : root.PerCpu[0]);
                    bool ok = made != null && to[i].ImportState(made, old, format[i]);
                    fresh[i][c] = made;
                    if (!ok)
                    {
                        FreeFresh(fresh, to, i + 1);
                        Abort(roots, n);
                        return Fail(ref r, made == null ? SwapOutcome.OutOfMemory : SwapOutcome.TransferFailed, UpdateStep.Transfer,
                            made == null ? "out of memory making the new representatives" : "the new version's state import reported failure; the old version keeps serving with its state", root);
                    }
                }
            }
            // 5. Commit, self-check, release.
            var oldShared = new object[n];
            var oldPerCpu = new object[n][];
            var oldFactory = new UpdatableFactory[n];
            for (int i = 0; i < n; i++)
            {
                ObjectRoot root = roots[i];
                oldShared[i] = root.Shared; oldPerCpu[i] = root.PerCpu; oldFactory[i] = root.Factory;
                if (to[i].PerCpu) { root.PerCpu = fresh[i]; root.Shared = null; }
                else { root.Shared = fresh[i][0]; root.PerCpu = null; }
                root.Factory = to[i];
            }
            for (int i = 0; i < n; i++)
                for (int c = 0; c < fresh[i].Length; c++)
                    if (!to[i].SelfCheck(fresh[i][c]))
                    {
                        for (int k = 0; k < n; k++) { roots[k].Shared = oldShared[k]; roots[k].PerCpu = oldPerCpu[k]; roots[k].Factory = oldFactory[k]; }
                        FreeFresh(fresh, to, n);
                        Heap.Free(oldShared); Heap.Free(oldPerCpu); Heap.Free(oldFactory);
                        Abort(roots, n);
                        return Fail(ref r, SwapOutcome.SelfCheckFailed, UpdateStep.SelfCheck, "a new representative failed its self-check; the old version was put back before any call reached the new one", roots[i]);
                    }
            var bin = new DeferredFree();
            for (int i = 0; i < n; i++)
            {
                roots[i].ClearAdapters(ref bin);
                if (oldShared[i] != null) bin.Add(oldShared[i], oldFactory[i]);
                if (oldPerCpu[i] != null) { for (int c = 0; c < oldPerCpu[i].Length; c++) bin.Add(oldPerCpu[i][c], oldFactory[i]); bin.Add(oldPerCpu[i]); }
                if (to[i].PerCpu) { } else Heap.Free(fresh[i]);
            }
            Heap.Free(fresh); Heap.Free(oldShared); Heap.Free(oldPerCpu); Heap.Free(oldFactory);
            ulong commit = Clock.NanosecondsSinceBoot();
            r.BlockNs += commit - blockStart;
            for (int i = 0; i < n; i++) Release(roots[i]);
            // 6. Free the old version once no operation can hold it.
            Marker(ref r);
            bin.FreeAll();
            ulong blocked = (ulong)Volatile.Read(in s_updateMaxBlockedNs);
            if (blocked > r.MaxBlockedNs) r.MaxBlockedNs = blocked;
            return true;
        }

        private static void FreeFresh(object[][] fresh, UpdatableFactory[] to, int upTo)
        {
            for (int i = 0; i < upTo; i++)
            {
                if (fresh[i] == null) continue;
                for (int c = 0; c < fresh[i].Length; c++)
                    if (fresh[i][c] != null) { to[i].ReleaseRepresentative(fresh[i][c]); Heap.Free(fresh[i][c]); }
                Heap.Free(fresh[i]);
            }
            Heap.Free(fresh);
        }
    }
}
