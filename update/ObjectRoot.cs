using System.Threading;
using Internal.Runtime;
using Molt.Memory;
using Molt.Threading;
using Thread = Molt.Threading.Thread;

namespace Molt.Update
{
    /// <summary>
    /// The global-table entry of one updatable object: its representatives
    /// (one shared, or one per CPU), the factory (version) that made them,
    /// the hot-swap state, the mediator's call accounting, and adapters for
    /// older interfaces. Created by <see cref="UpdatableClass.Create"/>.
    /// Fields other than the representatives change only under the update
    /// lock, in the protocol's order.
    /// </summary>
    public sealed unsafe class ObjectRoot
    {
        public const int MaxTrackedCallers = 16;
        public const int MaxAdapters = 4;

        public int Id;
        public UpdatableClass Class;
        internal UpdatableFactory Factory;
        /// <summary>The shared representative, or null when each CPU has its own.</summary>
        internal object Shared;
        internal object[] PerCpu;
        internal int State;

        // ---- the mediator (Forward and Block phases) ----
        internal int InFlight;
        /// <summary>
        /// Threads with a counted call in progress: they may recurse through
        /// Block. Allocated by the updater before the object's first swap (no
        /// call is counted before that) and kept for the object's lifetime, so
        /// objects that are never swapped do not pay for it.
        /// </summary>
        internal nint[] Callers;
        internal WaitQueue Blocked;
        /// <summary>During a swap, every root swapped together (null otherwise).</summary>
        internal ObjectRoot[] SwapSet;
        internal int SwapSetCount;

        /// <summary>Scratch for the update manager (under the update lock): the serial of the set this root was last put in, to list it once.</summary>
        internal int SetMark;

        // ---- lazy conversion ----
        internal UpdatableFactory Pending;
        internal int PendingFormat;

        // ---- adapters, one per interface asked for; the table is made on first need ----
        private sealed class AdapterTable
        {
            public nint[] Types = new nint[MaxAdapters];
            public object[] Adapters = new object[MaxAdapters];
            /// <summary>Serializes insertions (rare); lookups read without it, key last.</summary>
            public Threading.SpinLock Insert;
        }

        private AdapterTable _adapters;

        public int Version => Factory.Version;
        public RootState CurrentState => (RootState)Volatile.Read(in State);

        internal object RepresentativeFor(int cpu) => Shared ?? PerCpu[cpu];

        /// <summary>Calls <paramref name="visit"/> for each representative (once when shared).</summary>
        public int RepresentativeCount => Shared != null ? 1 : PerCpu.Length;
        public object Representative(int index) => Shared ?? PerCpu[index];

        /// <summary>The mediator admits a call: counts it and remembers the calling thread.</summary>
        internal void AdmitCounted(Thread t)
        {
            Interlocked.Increment(ref InFlight);
            if (Callers == null) return; // cannot happen: the updater allocates Callers before Forward
            nint self = ObjectRef.AddressOf(t);
            for (int i = 0; i < MaxTrackedCallers; i++)
                if (Interlocked.CompareExchange(ref Callers[i], self, 0) == 0) return;
            // More concurrent callers than slots: still counted; such a thread cannot recurse through Block.
        }

        internal void LeaveCounted(Thread t)
        {
            if (Callers == null) { Interlocked.Decrement(ref InFlight); return; }
            nint self = ObjectRef.AddressOf(t);
            for (int i = 0; i < MaxTrackedCallers; i++)
                if (Volatile.Read(in Callers[i]) == self) { Volatile.Write(ref Callers[i], 0); break; }
            Interlocked.Decrement(ref InFlight);
        }

        /// <summary>
        /// Whether <paramref name="t"/> has a counted call in progress in this
        /// object or in any object swapped together with it. Such a thread
        /// passes the Block phase: it is part of the work being drained, so
        /// making it wait would deadlock any call chain or cycle within the set.
        /// </summary>
        internal bool IsCallerInSet(Thread t)
        {
            ObjectRoot[] set = SwapSet;
            if (set == null) return IsCaller(t);
            for (int i = 0; i < SwapSetCount; i++)
                if (set[i].IsCaller(t)) return true;
            return false;
        }

        internal bool IsCaller(Thread t)
        {
            if (Callers == null) return false;
            nint self = ObjectRef.AddressOf(t);
            for (int i = 0; i < MaxTrackedCallers; i++)
                if (Volatile.Read(in Callers[i]) == self) return true;
            return false;
        }

        /// <summary>Makes <see cref="Callers"/> if this object has never been swapped. Updater only, under the update lock.</summary>
        internal void PrepareForSwap()
        {
            if (Callers == null) Callers = new nint[MaxTrackedCallers];
        }

        /// <summary>The adapter presenting <paramref name="type"/>, created on first use; null if the version offers none.</summary>
        internal object AdapterFor(MethodTable* type, object representative)
        {
            AdapterTable table = _adapters;
            if (table != null)
                for (int i = 0; i < MaxAdapters; i++)
                    if (Volatile.Read(in table.Types[i]) == (nint)type) return table.Adapters[i];
            object adapter = Factory.CreateAdapter(new InterfaceKey((nint)type), representative);
            if (adapter == null) return null;
            if (table == null)
            {
                var made = new AdapterTable();
                if (Interlocked.CompareExchange(ref _adapters, made, null) != null) { Heap.Free(made.Types); Heap.Free(made.Adapters); Heap.Free(made); }
                table = _adapters;
            }
            bool irq = table.Insert.Acquire();
            for (int i = 0; i < MaxAdapters; i++)
            {
                if (table.Types[i] == (nint)type) { object existing = table.Adapters[i]; table.Insert.Release(irq); Heap.Free(adapter); return existing; }
                if (table.Types[i] != 0) continue;
                table.Adapters[i] = adapter;
                Volatile.Write(ref table.Types[i], (nint)type); // the key last: readers then see the adapter
                table.Insert.Release(irq);
                return adapter;
            }
            table.Insert.Release(irq);
            return adapter; // more interfaces than slots: uncached (the adapter is leaked on purpose, rarely)
        }

        /// <summary>Drops the adapters (they wrap representatives that are being replaced); returns them for deferred freeing.</summary>
        internal void ClearAdapters(ref DeferredFree bin)
        {
            AdapterTable table = _adapters;
            if (table == null) return;
            for (int i = 0; i < MaxAdapters; i++)
            {
                if (table.Adapters[i] != null) bin.Add(table.Adapters[i]);
                table.Adapters[i] = null;
                table.Types[i] = 0;
            }
        }

        /// <summary>Frees the root's own tables (on a failed creation).</summary>
        internal void FreeTables()
        {
            if (Callers != null) Heap.Free(Callers);
            if (_adapters != null) { Heap.Free(_adapters.Types); Heap.Free(_adapters.Adapters); Heap.Free(_adapters); }
        }
    }
}
