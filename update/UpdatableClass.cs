using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Threading;

namespace Molt.Update
{
    /// <summary>
    /// An updatable class: its current factory (the version new instances
    /// get) and the registry of its live instances, kept per CPU so creating
    /// an instance touches only the creating CPU's list. An update replaces
    /// the factory first, so instances created from then on are already new,
    /// then converts the existing ones (eagerly, or lazily on next access).
    /// </summary>
    public sealed unsafe class UpdatableClass
    {
        public string Name;
        internal UpdatableFactory Factory;
        /// <summary>Non-zero while Pending instances may convert on access (<see cref="LazyConversion"/>).</summary>
        internal int LazyArmed;
        private int[][] _instances;
        private int[] _counts;

        public UpdatableFactory CurrentFactory => Factory;
        public int Version => Factory.Version;

        public UpdatableClass(string name, UpdatableFactory initial)
        {
            Name = name;
            Factory = initial;
            _instances = new int[Scheduler_MaxCpus][];
            _counts = new int[Scheduler_MaxCpus];
        }

        private const int Scheduler_MaxCpus = Threading.Scheduler.MaxCpus;

        /// <summary>
        /// Creates an instance with the current factory's representatives.
        /// Returns an invalid id when the object table is full or memory is
        /// exhausted (nothing is left half-made).
        /// </summary>
        public ObjectId Create()
        {
            UpdatableFactory f = Factory;
            var root = new ObjectRoot();
            root.Class = this;
            root.Factory = f;
            if (!Populate(root, f)) { Discard(root); return default; }
            ObjectId id = Objects.Register(root);
            if (!id.IsValid) { Discard(root); return default; }
            Remember(id.Value);
            return id;
        }

        /// <summary>Fills <paramref name="root"/>'s representatives from <paramref name="f"/>.</summary>
        internal static bool Populate(ObjectRoot root, UpdatableFactory f)
        {
            if (!f.PerCpu)
            {
                root.Shared = f.CreateRepresentative(root, 0);
                return root.Shared != null;
            }
            var reps = new object[Processors.Count];
            for (int c = 0; c < reps.Length; c++)
            {
                reps[c] = f.CreateRepresentative(root, c);
                if (reps[c] == null) { for (int k = 0; k < c; k++) { f.ReleaseRepresentative(reps[k]); Heap.Free(reps[k]); } Heap.Free(reps); return false; }
            }
            root.PerCpu = reps;
            return true;
        }

        private static void Discard(ObjectRoot root)
        {
            if (root.Shared != null) { root.Factory.ReleaseRepresentative(root.Shared); Heap.Free(root.Shared); }
            if (root.PerCpu != null) { for (int i = 0; i < root.PerCpu.Length; i++) { root.Factory.ReleaseRepresentative(root.PerCpu[i]); Heap.Free(root.PerCpu[i]); } Heap.Free(root.PerCpu); }
            root.FreeTables();
            Heap.Free(root);
        }

        private void Remember(int id)
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            int cpu = PerCpu.Current()->Index;
            int[] list = _instances[cpu];
            int n = _counts[cpu];
            if (list == null || n == list.Length)
            {
                var bigger = new int[list == null ? 64 : list.Length * 2];
                for (int i = 0; i < n; i++) bigger[i] = list[i];
                Volatile.Write(ref _instances[cpu], bigger);
                // A snapshot on another CPU may still be copying the old list: free it after a quiescent point.
                if (list != null) Retire(list);
                list = bigger;
            }
            list[n] = id;
            Volatile.Write(ref _counts[cpu], n + 1);
            if (irq) Cpu.EnableInterrupts();
        }

        /// <summary>The number of instances created so far.</summary>
        public int InstanceCount
        {
            get { int n = 0; for (int c = 0; c < _counts.Length; c++) n += Volatile.Read(in _counts[c]); return n; }
        }

        // Instance lists outgrown by Remember, freed by CollectRetiredLists after a marker.
        private static DeferredFree s_retiredLists;
        private static Threading.SpinLock s_retiredListsLock;

        private static void Retire(int[] list)
        {
            bool irq = s_retiredListsLock.Acquire();
            s_retiredLists.Add(list);
            s_retiredListsLock.Release(irq);
        }

        /// <summary>
        /// Frees the instance lists outgrown so far, once a quiescent point
        /// shows no snapshot (each runs as an operation) can still be copying
        /// one. With no marker within <paramref name="timeoutNs"/> they are
        /// kept for the next call. Returns how many were freed. Called by the
        /// update manager after each update and by <see cref="UpdateManager.CollectRetired"/>.
        /// </summary>
        public static int CollectRetiredLists(ulong timeoutNs)
        {
            bool irq = s_retiredListsLock.Acquire();
            DeferredFree bin = s_retiredLists;
            s_retiredLists = default;
            s_retiredListsLock.Release(irq);
            int n = bin.Count;
            if (n == 0) { bin.Discard(); return 0; }
            int stuck;
            if (!Quiescence.WaitForMarker(timeoutNs, out stuck))
            {
                irq = s_retiredListsLock.Acquire();
                bin.MoveTo(ref s_retiredLists);
                s_retiredListsLock.Release(irq);
                return 0;
            }
            bin.FreeAll();
            return n;
        }

        /// <summary>
        /// Every instance id, in a new array the caller frees. Runs as an
        /// operation so that an instance list it is copying is not freed under
        /// it (<see cref="CollectRetiredLists"/> waits for a marker).
        /// </summary>
        public int[] SnapshotInstances()
        {
            Operations.Begin();
            // Counts first, then exactly that many ids per CPU: a list that grows
            // meanwhile cannot push another CPU's instances out of the array.
            int cpus = _counts.Length, total = 0;
            int* counts = stackalloc int[cpus];
            for (int c = 0; c < cpus; c++) { counts[c] = Volatile.Read(in _counts[c]); total += counts[c]; }
            var all = new int[total];
            int k = 0;
            for (int c = 0; c < cpus; c++)
            {
                if (counts[c] == 0) continue;
                int[] list = _instances[c]; // published before the count read above, so it holds counts[c] ids
                if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.SnapshotListRead, c);
                for (int i = 0; i < counts[c]; i++) all[k++] = list[i];
            }
            Operations.End();
            return all;
        }
    }
}
