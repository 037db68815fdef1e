using System.Threading;
using Molt.Console;
using Molt.Memory;

namespace Molt.Update
{
    /// <summary>
    /// The scratch record of one update or rollback in progress, under the
    /// update lock: every change made so far (classes disarmed, factories
    /// switched, instances marked Pending or unmarked, the set to swap), so
    /// that a failure at any step can undo exactly what was done.
    /// <see cref="Begin"/> allocates, <see cref="End"/> frees everything it
    /// allocated (it never owns the roots, classes or factories it lists).
    /// </summary>
    internal struct Transition
    {
        // Classes whose lazy conversion was armed and is disarmed for the update.
        private UpdatableClass[] _disarmed; private int _disarmedCount;
        // Factories switched: the class, its factory before and after.
        private UpdatableClass[] _switched; private UpdatableFactory[] _before; private UpdatableFactory[] _after; private int _switchedCount;
        // Pending changed: the root and its Pending and format before.
        private ObjectRoot[] _pendingRoots; private UpdatableFactory[] _pendingBefore; private int[] _formatBefore; private int _pendingCount;
        // The set to hot-swap, with the factories to swap to and the ones serving before.
        internal ObjectRoot[] Set; internal UpdatableFactory[] SetTo; private UpdatableFactory[] _setFrom; internal int SetCount;

        public void Begin(int classes, int objects)
        {
            int c = classes > 0 ? classes : 1, o = objects > 4 ? objects : 4;
            _disarmed = new UpdatableClass[c + o];
            _switched = new UpdatableClass[c]; _before = new UpdatableFactory[c]; _after = new UpdatableFactory[c];
            _pendingRoots = new ObjectRoot[16]; _pendingBefore = new UpdatableFactory[16]; _formatBefore = new int[16];
            Set = new ObjectRoot[o]; SetTo = new UpdatableFactory[o]; _setFrom = new UpdatableFactory[o];
        }

        public void End()
        {
            Heap.Free(_disarmed);
            Heap.Free(_switched); Heap.Free(_before); Heap.Free(_after);
            Heap.Free(_pendingRoots); Heap.Free(_pendingBefore); Heap.Free(_formatBefore);
            Heap.Free(Set); Heap.Free(SetTo); Heap.Free(_setFrom);
            this = default;
        }

        private static ObjectRoot[] Grow(ObjectRoot[] a)
        {
            var b = new ObjectRoot[a.Length * 2];
            for (int i = 0; i < a.Length; i++) b[i] = a[i];
            Heap.Free(a);
            return b;
        }

        private static UpdatableFactory[] Grow(UpdatableFactory[] a)
        {
            var b = new UpdatableFactory[a.Length * 2];
            for (int i = 0; i < a.Length; i++) b[i] = a[i];
            Heap.Free(a);
            return b;
        }

        private static UpdatableClass[] Grow(UpdatableClass[] a)
        {
            var b = new UpdatableClass[a.Length * 2];
            for (int i = 0; i < a.Length; i++) b[i] = a[i];
            Heap.Free(a);
            return b;
        }

        private static int[] Grow(int[] a)
        {
            var b = new int[a.Length * 2];
            for (int i = 0; i < a.Length; i++) b[i] = a[i];
            Heap.Free(a);
            return b;
        }

        /// <summary>Disarms <paramref name="cls"/> if it is armed (once), so no conversion races the update; re-armed by <see cref="Rearm"/>.</summary>
        public void Touch(UpdatableClass cls)
        {
            if (cls == null || Volatile.Read(in cls.LazyArmed) == 0) return;
            for (int i = 0; i < _disarmedCount; i++) if (_disarmed[i] == cls) return;
            if (_disarmedCount == _disarmed.Length) _disarmed = Grow(_disarmed);
            _disarmed[_disarmedCount++] = cls;
            LazyConversion.Disarm(cls);
        }

        /// <summary>Re-arms every class disarmed by <see cref="Touch"/> (armed with no Pending instance does nothing).</summary>
        public void Rearm()
        {
            for (int i = 0; i < _disarmedCount; i++) LazyConversion.Arm(_disarmed[i]);
        }

        /// <summary>Switches the class's factory (recorded, in call order: <see cref="ClassFrom"/>(i) is the i-th call's factory before).</summary>
        public void SwitchFactory(UpdatableClass cls, UpdatableFactory to)
        {
            _switched[_switchedCount] = cls; _before[_switchedCount] = cls.Factory; _after[_switchedCount] = to;
            _switchedCount++;
            Volatile.Write(ref cls.Factory, to);
        }

        public int DisarmedCount => _disarmedCount;
        public UpdatableFactory ClassFrom(int i) => _before[i];
        public UpdatableFactory ObjectFrom(int i) => _setFrom[i];

        private void RecordPending(ObjectRoot root)
        {
            if (_pendingCount == _pendingRoots.Length)
            {
                _pendingRoots = Grow(_pendingRoots); _pendingBefore = Grow(_pendingBefore); _formatBefore = Grow(_formatBefore);
            }
            _pendingRoots[_pendingCount] = root; _pendingBefore[_pendingCount] = root.Pending; _formatBefore[_pendingCount] = root.PendingFormat;
            _pendingCount++;
        }

        /// <summary>Marks every instance of <paramref name="cls"/> not at <paramref name="to"/> Pending (LazyConversion step 2); returns how many.</summary>
        public int MarkPending(UpdatableClass cls, UpdatableFactory to)
        {
            int[] ids = cls.SnapshotInstances();
            int marked = 0;
            for (int i = 0; i < ids.Length; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(ids[i]));
                if (root == null || root.Factory == to) continue;
                int format = UpdatableFactory.Negotiate(root.Factory.ExportFormats, to.ImportFormats);
                if (format < 0)
                {
                    Log.Warn("update", $"object {root.Id} (version {root.Version}) shares no state format with {cls.Name} version {to.Version}: it stays at its version");
                    continue;
                }
                RecordPending(root);
                root.PendingFormat = format;
                Volatile.Write(ref root.Pending, to);
                Objects.FlushEverywhere(root.Id);
                marked++;
            }
            Heap.Free(ids);
            return marked;
        }

        /// <summary>Cancels the conversion of the instances of <paramref name="cls"/> still Pending <paramref name="to"/> (the class is disarmed and a marker passed); returns how many.</summary>
        public int ClearPending(UpdatableClass cls, UpdatableFactory to)
        {
            int[] ids = cls.SnapshotInstances();
            int cleared = 0;
            for (int i = 0; i < ids.Length; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(ids[i]));
                if (root == null || root.Pending != to) continue;
                RecordPending(root);
                Volatile.Write(ref root.Pending, null);
                cleared++;
            }
            Heap.Free(ids);
            return cleared;
        }

        /// <summary>Adds <paramref name="root"/> to the set to swap to <paramref name="to"/>, once per <paramref name="serial"/>.</summary>
        public void AddToSet(ObjectRoot root, UpdatableFactory to, int serial)
        {
            if (root.SetMark == serial) return;
            root.SetMark = serial;
            if (SetCount == Set.Length) { Set = Grow(Set); SetTo = Grow(SetTo); _setFrom = Grow(_setFrom); }
            Set[SetCount] = root; SetTo[SetCount] = to; _setFrom[SetCount] = root.Factory;
            SetCount++;
        }

        /// <summary>After a committed swap: an instance swapped eagerly no longer waits for an older lazy conversion.</summary>
        public void ClearPendingOfSet()
        {
            for (int i = 0; i < SetCount; i++) if (Set[i].Pending != null) Volatile.Write(ref Set[i].Pending, null);
        }

        private void RestorePending()
        {
            for (int i = _pendingCount - 1; i >= 0; i--)
            {
                _pendingRoots[i].PendingFormat = _formatBefore[i];
                Volatile.Write(ref _pendingRoots[i].Pending, _pendingBefore[i]);
                Objects.FlushEverywhere(_pendingRoots[i].Id);
            }
            _pendingCount = 0;
        }

        /// <summary>
        /// Undoes a failed update: Pending marks restored, factories back,
        /// a marker (no creation still uses a new factory), instances that a
        /// new factory made meanwhile swapped back, classes re-armed.
        /// </summary>
        public void Undo(ref UpdateReport r)
        {
            RestorePending();
            for (int i = _switchedCount - 1; i >= 0; i--) Volatile.Write(ref _switched[i].Factory, _before[i]);
            if (_switchedCount > 0)
            {
                HotSwap.Marker(ref r);
                for (int i = 0; i < _switchedCount; i++) UpdateManager.SwapInstancesBack(_switched[i], _after[i], _before[i], ref r);
            }
            Rearm();
        }

        /// <summary>Undoes a failed rollback: the level stays applied (Pending marks and factories put back, classes re-armed).</summary>
        public void UndoRollback(ref UpdateReport r)
        {
            RestorePending();
            for (int i = _switchedCount - 1; i >= 0; i--) Volatile.Write(ref _switched[i].Factory, _before[i]);
            Rearm();
        }
    }
}
