using System.Runtime.CompilerServices;
using System.Threading;
using Internal.Runtime;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Threading;
using Thread = Molt.Threading.Thread;

namespace Molt.Update
{
    /// <summary>
    /// Calls into updatable objects.
    /// <code>
    /// using (var kv = Objects.Use&lt;IKeyValue&gt;(id)) kv.Target.Put(key, value);
    /// </code>
    /// <see cref="Use{T}"/> finds this CPU's representative through the CPU's
    /// local translation table (LTT): one load of the per-CPU block, one load
    /// of the table, one load of the entry, then a type check. No lock, no
    /// write. A miss (first use on this CPU, or an object being updated)
    /// goes to the object's root in the global table, which may install the
    /// LTT entry, count the call through the mediator, make the caller wait
    /// (Block phase), convert the object lazily, or hand out an adapter for
    /// an older interface.
    ///
    /// Rules for callers:
    /// - Call only inside an operation (thread bodies are; long loops
    ///   checkpoint between calls with <see cref="Operations.Checkpoint"/>).
    /// - Use <see cref="Call{T}.Target"/> only inside the using block and
    ///   never keep it: after the block an update may free it.
    /// LTT entries are a cache: clearing one is always safe.
    /// </summary>
    public static unsafe class Objects
    {
        public const int MaxObjects = 16384;

        private static ObjectRoot[] s_roots;
        private static int s_next;
        private static ulong s_misses;

        public static int Count => Volatile.Read(in s_next);
        public static ulong Misses => s_misses;

        private static bool s_window;

        /// <summary>Whether the LTT is read at a fixed address (design (a)) rather than through the per-CPU block (design (b)).</summary>
        public static bool UsesPerCpuWindow => s_window;

        /// <summary>
        /// Sets up the global table and every online CPU's LTT (8 bytes per
        /// object per CPU, physically contiguous). With <paramref name="perCpuWindow"/>
        /// the LTTs are also mapped at <see cref="KernelAddressSpace.PerCpuWindow"/>,
        /// each CPU seeing its own (design (a)); the updater and the miss path
        /// always reach a CPU's LTT through its block (design (b)'s pointer).
        /// </summary>
        public static void Initialize(bool perCpuWindow)
        {
            s_roots = new ObjectRoot[MaxObjects];
            int n = Processors.Count;
            ulong bytes = (ulong)MaxObjects * (ulong)sizeof(nint);
            ulong* frames = stackalloc ulong[n];
            for (int c = 0; c < n; c++)
            {
                frames[c] = FrameAllocator.AllocateContiguous(bytes / 4096);
                if (frames[c] == 0) Panic.Fail("out of memory for the object translation tables");
                CpuLocal* cpu = Processors.Get(c);
                cpu->LocalTranslations = (nint*)FrameAllocator.ToVirtual(frames[c]);
                Heap.Zero((byte*)cpu->LocalTranslations, bytes);
                cpu->LocalTranslationCapacity = MaxObjects;
            }
            s_window = perCpuWindow && KernelAddressSpace.EnablePerCpuWindows(frames, bytes, n);
        }

        public static bool Initialized => s_roots != null;

        internal static ObjectId Register(ObjectRoot root)
        {
            int id = Interlocked.Increment(ref s_next);
            if (id >= MaxObjects) { Interlocked.Decrement(ref s_next); return default; }
            root.Id = id;
            Volatile.Write(ref s_roots[id], root);
            return new ObjectId(id);
        }

        public static ObjectRoot Root(ObjectId id) => (uint)id.Value < MaxObjects ? s_roots[id.Value] : null;

        /// <summary>The representative of <paramref name="id"/> seen as <typeparamref name="T"/>, for the length of the using block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Call<T> Use<T>(ObjectId id) where T : class
        {
            nint rep = 0;
            if (s_window)
            {
                // Design (a): this CPU's LTT at a fixed address; one load.
                if ((uint)id.Value < MaxObjects) rep = ((nint*)KernelAddressSpace.PerCpuWindow)[id.Value];
            }
            else
            {
                // Design (b): through the per-CPU base register.
                CpuLocal* cpu = PerCpu.Current();
                if ((uint)id.Value < (uint)cpu->LocalTranslationCapacity) rep = cpu->LocalTranslations[id.Value];
            }
            if (rep != 0)
            {
                // The type check, kept honest but cheap: the representative's
                // MethodTable is compared with the last one that passed
                // `is T`. Only on a mismatch does the real cast run (a patch
                // may bring a new implementer of T at any time, so nothing
                // here may assume the kernel's implementers are all of them).
                var mt = *(MethodTable**)rep;
                if (mt == PassedCheck<T>.Type) return new Call<T>(Unsafe.As<T>(ObjectRef.FromAddress<object>(rep)), null);
                if (ObjectRef.FromAddress<object>(rep) is T target)
                {
                    PassedCheck<T>.Type = mt;
                    return new Call<T>(target, null);
                }
            }
            return Miss<T>(id);
        }

        /// <summary>
        /// The MethodTable that last passed <c>is T</c> in <see cref="Use{T}"/>.
        /// A fact about a type, not an object, so a racing write is harmless.
        /// Invariant: a MethodTable address is never reused for another type
        /// while this may hold it — patch memory is never given to a new
        /// patch's MethodTables once freed (update/Linker: retired address ranges).
        /// </summary>
        private static class PassedCheck<T> where T : class
        {
            public static MethodTable* Type;
        }

        private static Call<T> Miss<T>(ObjectId id) where T : class
        {
            s_misses++;
            ObjectRoot root = Root(id);
            if (root == null) Panic.Fail("Objects.Use: no updatable object has this id");
            while (true)
            {
                bool irq = Cpu.InterruptsEnabled();
                Cpu.DisableInterrupts();
                CpuLocal* cpu = PerCpu.Current();
                int state = Volatile.Read(in root.State);
                if (state == (int)RootState.Normal)
                {
                    if (root.Pending != null && LazyConversion.Armed(root))
                    {
                        if (irq) Cpu.EnableInterrupts();
                        LazyConversion.Convert(root);
                        continue;
                    }
                    object rep = root.RepresentativeFor(cpu->Index);
                    // Cache only objects not waiting for a conversion: the next access must see Pending.
                    if (root.Pending == null) Install(cpu, root, rep);
                    if (irq) Cpu.EnableInterrupts();
                    return new Call<T>(As<T>(root, rep), null);
                }
                Thread self = Scheduler.Current;
                // Whether this thread is already inside the set, decided before
                // it is counted here: its own new slot must not admit it.
                bool inside = state != (int)RootState.Normal && root.IsCallerInSet(self);
                if (state == (int)RootState.Forward || (state == (int)RootState.Block && inside))
                {
                    // Count first, then look again: the updater sets Block and
                    // then reads the count, so either it sees this call or this
                    // call sees Block (and, unless admitted there, backs off).
                    if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.MissBeforeCount, root.Id);
                    root.AdmitCounted(self);
                    int now = Volatile.Read(in root.State);
                    if (now == (int)RootState.Forward || (now == (int)RootState.Block && inside))
                    {
                        object rep = root.RepresentativeFor(cpu->Index);
                        if (irq) Cpu.EnableInterrupts();
                        return new Call<T>(As<T>(root, rep), root);
                    }
                    root.LeaveCounted(self);
                    if (irq) Cpu.EnableInterrupts();
                    continue;
                }
                if (irq) Cpu.EnableInterrupts();
                if (state == (int)RootState.Block) HotSwap.WaitWhileBlocked(root);
                else Cpu.Relax(); // Converting: another CPU finishes within microseconds
            }
        }

        /// <summary>
        /// Caches <paramref name="rep"/> in this CPU's LTT, racing an updater
        /// that sets the root's state and then clears every LTT entry. The
        /// entry is written with a full fence and the state read again: if
        /// the updater's state change is visible, the entry is cleared here;
        /// if not, the updater's clearing comes after this write. Either way
        /// no stale entry survives the start of a swap.
        /// </summary>
        private static void Install(CpuLocal* cpu, ObjectRoot root, object rep)
        {
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.MissBeforeInstall, root.Id);
            nint* slot = &cpu->LocalTranslations[root.Id];
            Interlocked.Exchange(ref *slot, ObjectRef.AddressOf(rep));
            if (Volatile.Read(in root.State) != (int)RootState.Normal || root.Pending != null || root.RepresentativeFor(cpu->Index) != rep)
                Interlocked.Exchange(ref *slot, 0);
        }

        private static T As<T>(ObjectRoot root, object rep) where T : class
        {
            if (rep is T direct) return direct;
            object adapter = root.AdapterFor(MethodTable.Of<T>(), rep);
            if (adapter is T adapted) return adapted;
            Panic.Fail("Objects.Use: the object's version implements neither the interface asked for nor an adapter to it");
            return null;
        }

        /// <summary>Clears <paramref name="id"/>'s entry in every CPU's LTT.</summary>
        internal static void FlushEverywhere(int id)
        {
            for (int c = 0; c < Processors.Count; c++)
            {
                CpuLocal* cpu = Processors.Get(c);
                if (cpu->LocalTranslations != null) Volatile.Write(ref *(long*)&cpu->LocalTranslations[id], 0);
            }
        }
    }

    /// <summary>One call into an updatable object; dispose it (a using block) when the call is over.</summary>
    public readonly ref struct Call<T> where T : class
    {
        public readonly T Target;
        private readonly ObjectRoot _counted;

        internal Call(T target, ObjectRoot counted) { Target = target; _counted = counted; }

        public void Dispose()
        {
            if (_counted != null) _counted.LeaveCounted(Scheduler.Current);
        }
    }
}
