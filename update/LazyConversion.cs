using System.Threading;
using Molt.Console;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Update
{
    /// <summary>
    /// Converting every instance of a class on its next access.
    /// Arming (by <see cref="UpdateManager.Apply"/> for a class added lazily, under the update lock):
    /// 1. The class's factory switches: new instances are new-version.
    /// 2. Each old instance gets Pending = the new factory; its LTT entries are cleared.
    /// 3. Wait for a system-wide quiescent point; only then is the class
    ///    armed. Before that, accesses get the old representative, uncached.
    /// Converting (in the miss path of the first access after arming, on any CPU):
    /// 4. Take the root from Normal to Converting (one CPU wins; others spin).
    /// 5. Make the new representatives and import the state; on failure keep
    ///    the old ones (logged) and stop trying for this instance.
    /// 6. Install them, clear Pending, back to Normal. The old
    ///    representatives are retired, and freed by <see cref="FreeRetired"/>
    ///    only after a quiescent point (a call that got the old representative
    ///    uncached between steps 2 and 3 may still be inside it).
    /// Any number of classes may be armed at once (a flag per class).
    /// Rollback disarms the class, waits for a marker (no conversion is
    /// running then), and clears Pending on the instances not yet converted.
    /// Invariant: after step 3 no operation that could hold an old
    /// representative obtained before step 2 is still running, and every
    /// later access misses (Pending roots are never cached), so conversion
    /// never races a user of the old version.
    /// </summary>
    public static unsafe class LazyConversion
    {
        private static int s_converted;
        private static int s_failed;
        private static DeferredFree s_retired;
        private static Threading.SpinLock s_retiredLock;

        public static int Converted => Volatile.Read(in s_converted);
        public static int Failed => Volatile.Read(in s_failed);

        // Armed per class (any number of classes at once): a single global
        // "armed class" stranded the Pending instances of the class armed before.
        internal static void Arm(UpdatableClass cls) => Volatile.Write(ref cls.LazyArmed, 1);
        internal static void Disarm(UpdatableClass cls) => Volatile.Write(ref cls.LazyArmed, 0);

        internal static bool Armed(ObjectRoot root) => root.Class != null && Volatile.Read(in root.Class.LazyArmed) != 0;

        internal static void Convert(ObjectRoot root)
        {
            if (Volatile.Read(in root.State) != (int)RootState.Normal) return;
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.ConvertBeforeClaim, root.Id);
            // Claim the root: exactly one CPU converts it; a CPU that saw Normal above may lose here.
            if (Interlocked.CompareExchange(ref root.State, (int)RootState.Converting, (int)RootState.Normal) != (int)RootState.Normal) return;
            UpdatableFactory to = root.Pending;
            if (to == null) { Volatile.Write(ref root.State, (int)RootState.Normal); return; }
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.ConvertClaimed, root.Id);
            int count = to.PerCpu ? Smp.Processors.Count : 1;
            var fresh = new object[count];
            bool ok = true;
            for (int c = 0; c < count && ok; c++)
            {
                fresh[c] = to.CreateRepresentative(root, c);
                object old = root.Shared ?? root.PerCpu[c < root.PerCpu.Length ? c : 0];
                ok = fresh[c] != null && to.ImportState(fresh[c], old, root.PendingFormat) && to.SelfCheck(fresh[c]);
            }
            if (!ok)
            {
                for (int c = 0; c < count; c++) if (fresh[c] != null) { to.ReleaseRepresentative(fresh[c]); Heap.Free(fresh[c]); }
                Heap.Free(fresh);
                root.Pending = null;
                Interlocked.Increment(ref s_failed);
                Volatile.Write(ref root.State, (int)RootState.Normal);
                Log.Warn("update", $"lazy conversion of object {root.Id} to version {to.Version} failed; it stays at version {root.Version}");
                return;
            }
            bool irq = s_retiredLock.Acquire();
            if (root.Shared != null) s_retired.Add(root.Shared, root.Factory);
            if (root.PerCpu != null) { for (int c = 0; c < root.PerCpu.Length; c++) s_retired.Add(root.PerCpu[c], root.Factory); s_retired.Add(root.PerCpu); }
            root.ClearAdapters(ref s_retired);
            s_retiredLock.Release(irq);
            if (to.PerCpu) { root.PerCpu = fresh; root.Shared = null; }
            else { root.Shared = fresh[0]; root.PerCpu = null; Heap.Free(fresh); }
            root.Factory = to;
            root.Pending = null;
            Interlocked.Increment(ref s_converted);
            Volatile.Write(ref root.State, (int)RootState.Normal);
        }

        /// <summary>Frees representatives retired by conversions, after a quiescent point. Called by the update manager.</summary>
        internal static int FreeRetired()
        {
            bool irq = s_retiredLock.Acquire();
            DeferredFree bin = s_retired;
            s_retired = default;
            s_retiredLock.Release(irq);
            int n = bin.Count;
            if (n == 0) { bin.Discard(); return 0; }
            if (!Quiescence.WaitForMarker())
            {
                // Someone may still be inside one: keep them for the next collection.
                irq = s_retiredLock.Acquire();
                bin.MoveTo(ref s_retired);
                s_retiredLock.Release(irq);
                return 0;
            }
            bin.FreeAll();
            return n;
        }

        /// <summary>How many retired objects wait for <see cref="FreeRetired"/>.</summary>
        public static int RetiredCount => s_retired.Count;

        internal static void ResetCounts() { s_converted = 0; s_failed = 0; }
    }
}
