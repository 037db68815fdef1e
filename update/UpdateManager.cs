using System.Threading;
using Molt.Console;
using Molt.Memory;
using Molt.Threading;

namespace Molt.Update
{
    /// <summary>
    /// The entry point for updates: one at a time (a second one is refused
    /// with the name of the one running), each applied completely or not at
    /// all, each recorded so the last one can be rolled back.
    /// </summary>
    public static unsafe class UpdateManager
    {
        private static int s_busy;
        private static string s_running;
        private static UpdateRecord s_last;
        private static int s_applied;

        /// <summary>How many updates have committed (minus rollbacks): the patch level.</summary>
        public static int Level => s_applied;
        public static string Running => s_running;

        private sealed class UpdateRecord
        {
            public string Name;
            public int[] Ids;
            public UpdatableFactory[] From;
            public UpdatableClass[] Classes;
            public UpdatableFactory[] ClassFrom;
            public UpdatableFactory[] ClassTo;
        }

        private static bool Enter(string name, out SwapReport refused)
        {
            refused = null;
            if (Interlocked.CompareExchange(ref s_busy, 1, 0) == 0) { s_running = name; return true; }
            refused = new SwapReport { Outcome = SwapOutcome.Busy, Reason = "another update is in progress" };
            Log.Warn("update", $"refused '{name}': update '{s_running}' is in progress");
            return false;
        }

        private static void Leave() { s_running = null; Volatile.Write(ref s_busy, 0); }

        /// <summary>Swaps the objects <paramref name="ids"/> to the factories <paramref name="to"/> as one unit.</summary>
        public static SwapReport SwapObjects(string name, int[] ids, UpdatableFactory[] to)
        {
            SwapReport refused;
            if (!Enter(name, out refused)) return refused;
            SwapReport r = SwapLocked(name, ids, to, null, null);
            Leave();
            return r;
        }

        private static SwapReport SwapLocked(string name, int[] ids, UpdatableFactory[] to, UpdatableClass[] classes, UpdatableFactory[] classFrom)
        {
            int n = ids.Length;
            if (n == 0 || n != to.Length) return new SwapReport { Outcome = SwapOutcome.Invalid, Reason = "empty or mismatched update set" };
            var roots = new ObjectRoot[n];
            var from = new UpdatableFactory[n];
            for (int i = 0; i < n; i++)
            {
                roots[i] = Objects.Root(new ObjectId(ids[i]));
                if (roots[i] == null)
                {
                    Heap.Free(roots); Heap.Free(from);
                    return new SwapReport { Outcome = SwapOutcome.Invalid, Reason = "the update names an object id that does not exist", ObjectId = ids[i] };
                }
                from[i] = roots[i].Factory;
            }
            Log.Info("update", $"'{name}': swapping {n} objects");
            SwapReport r = HotSwap.Run(roots, to, n);
            Heap.Free(roots);
            if (r.Committed)
            {
                UpdatableFactory[] classTo = null;
                if (classes != null)
                {
                    classTo = new UpdatableFactory[classes.Length];
                    for (int i = 0; i < classes.Length; i++) classTo[i] = classes[i].Factory;
                }
                var record = new UpdateRecord { Name = name, Ids = CopyOf(ids), From = from, Classes = classes, ClassFrom = classFrom, ClassTo = classTo };
                ForgetLast();
                s_last = record;
                s_applied++;
                Log.Info("update", $"'{name}' committed: {n} objects, format {r.Format}, {r.TotalNs / 1000} us ({r.ForwardNs / 1000} forward, {r.BlockNs / 1000} blocked)");
            }
            else Heap.Free(from);
            return r;
        }

        private static int[] CopyOf(int[] a) { var c = new int[a.Length]; for (int i = 0; i < a.Length; i++) c[i] = a[i]; return c; }

        private static void ForgetLast()
        {
            if (s_last == null) return;
            Heap.Free(s_last.Ids); Heap.Free(s_last.From);
            FreeRecord(s_last);
            s_last = null;
        }

        private static void FreeRecord(UpdateRecord record)
        {
            if (record.Classes != null) { Heap.Free(record.Classes); Heap.Free(record.ClassFrom); Heap.Free(record.ClassTo); }
            Heap.Free(record);
        }

        /// <summary>
        /// Updates every instance of each class in <paramref name="classes"/>
        /// to the matching factory, as one unit, in the order given (put a
        /// class before the classes that call it with its new interface).
        /// Factories switch first, then the instances swap; if the swap fails
        /// the factories switch back.
        /// </summary>
        public static SwapReport UpdateClasses(string name, UpdatableClass[] classes, UpdatableFactory[] to)
        {
            SwapReport refused;
            if (!Enter(name, out refused)) return refused;
            int k = classes.Length;
            var previous = new UpdatableFactory[k];
            for (int i = 0; i < k; i++) { previous[i] = classes[i].Factory; Volatile.Write(ref classes[i].Factory, to[i]); }
            // Creations that read the old factory have finished after this point.
            Quiescence.WaitForMarker();
            int total = 0;
            var snapshots = new int[k][];
            for (int i = 0; i < k; i++) { snapshots[i] = classes[i].SnapshotInstances(); total += snapshots[i].Length; }
            var ids = new int[total];
            var targets = new UpdatableFactory[total];
            int at = 0;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < snapshots[i].Length; j++) { ids[at] = snapshots[i][j]; targets[at] = to[i]; at++; }
            for (int i = 0; i < k; i++) Heap.Free(snapshots[i]);
            Heap.Free(snapshots);
            var cls = new UpdatableClass[k];
            for (int i = 0; i < k; i++) cls[i] = classes[i];
            SwapReport r = total == 0 ? new SwapReport { Outcome = SwapOutcome.Committed } : SwapLocked(name, ids, targets, cls, previous);
            if (!r.Committed)
            {
                for (int i = 0; i < k; i++) classes[i].Factory = previous[i];
                Heap.Free(cls); Heap.Free(previous);
            }
            else if (total == 0) { Heap.Free(cls); Heap.Free(previous); }
            Heap.Free(ids); Heap.Free(targets);
            Leave();
            return r;
        }


        /// <summary>Switches the class's factory and arms lazy conversion of its instances (see <see cref="LazyConversion"/>).</summary>
        public static SwapReport UpdateClassLazily(string name, UpdatableClass cls, UpdatableFactory to)
        {
            SwapReport refused;
            if (!Enter(name, out refused)) return refused;
            var r = new SwapReport();
            int format = UpdatableFactory.Negotiate(cls.Factory.ExportFormats, to.ImportFormats);
            if (format < 0)
            {
                Leave();
                r.Outcome = SwapOutcome.NoCommonFormat;
                r.Reason = "no state format in common between the old and new versions";
                return r;
            }
            ulong start = Time.Clock.NanosecondsSinceBoot();
            cls.Factory = to;
            Quiescence.WaitForMarker();
            int[] ids = cls.SnapshotInstances();
            for (int i = 0; i < ids.Length; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(ids[i]));
                if (root == null || root.Factory == to) continue;
                root.PendingFormat = format;
                Volatile.Write(ref root.Pending, to);
                Objects.FlushEverywhere(root.Id);
            }
            Quiescence.WaitForMarker();
            LazyConversion.Arm(cls);
            r.Objects = ids.Length;
            r.Format = format;
            r.TotalNs = Time.Clock.NanosecondsSinceBoot() - start;
            r.Outcome = SwapOutcome.Committed;
            Heap.Free(ids);
            s_applied++;
            Log.Info("update", $"'{name}': {r.Objects} instances of {cls.Name} convert to version {to.Version} on next access");
            Leave();
            return r;
        }

        /// <summary>Frees what lazy conversions retired, after a quiescent point.</summary>
        public static void CollectRetired() => LazyConversion.FreeRetired();

        /// <summary>Undoes the last committed update: the state moves back into the previous version.</summary>
        public static SwapReport RollbackLast()
        {
            SwapReport refused;
            if (!Enter("rollback", out refused)) return refused;
            UpdateRecord last = s_last;
            if (last == null)
            {
                Leave();
                return new SwapReport { Outcome = SwapOutcome.Invalid, Reason = "there is no update to roll back" };
            }
            // New instances are old-version from here on, as in a forward update.
            if (last.Classes != null)
                for (int i = 0; i < last.Classes.Length; i++) last.Classes[i].Factory = last.ClassFrom[i];
            s_last = null;
            SwapReport r = SwapLocked("rollback", last.Ids, last.From, null, null);
            if (r.Committed)
            {
                // A rollback is not itself undoable, and it cancels the update's level.
                ForgetLast();
                s_applied -= 2;
                Log.Info("update", $"rolled back '{last.Name}'");
                Heap.Free(last.Ids); Heap.Free(last.From);
                FreeRecord(last);
            }
            else
            {
                if (last.Classes != null)
                    for (int i = 0; i < last.Classes.Length; i++) last.Classes[i].Factory = last.ClassTo[i];
                s_last = last;
            }
            Leave();
            return r;
        }
    }
}
