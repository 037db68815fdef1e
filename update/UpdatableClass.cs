using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;

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
                if (reps[c] == null) { for (int k = 0; k < c; k++) Heap.Free(reps[k]); Heap.Free(reps); return false; }
            }
            root.PerCpu = reps;
            return true;
        }

        private static void Discard(ObjectRoot root)
        {
            if (root.Shared != null) Heap.Free(root.Shared);
            if (root.PerCpu != null) { for (int i = 0; i < root.PerCpu.Length; i++) Heap.Free(root.PerCpu[i]); Heap.Free(root.PerCpu); }
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
                if (list != null) Heap.Free(list);
                _instances[cpu] = list = bigger;
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

        /// <summary>Copies every instance id into <paramref name="into"/> (a new array the caller frees).</summary>
        public int[] SnapshotInstances()
        {
            var all = new int[InstanceCount];
            int k = 0;
            for (int c = 0; c < _counts.Length; c++)
            {
                int n = Volatile.Read(in _counts[c]);
                int[] list = _instances[c];
                if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.SnapshotListRead, c);
                for (int i = 0; i < n && k < all.Length; i++) all[k++] = list[i];
            }
            return all;
        }
    }
}
