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
        /// <summary>Threads with a counted call in progress: they may recurse through Block.</summary>
        internal nint[] Callers;
        internal WaitQueue Blocked;
        /// <summary>During a swap, every root swapped together (null otherwise).</summary>
        internal ObjectRoot[] SwapSet;
        internal int SwapSetCount;

        // ---- lazy conversion ----
        internal UpdatableFactory Pending;
        internal int PendingFormat;

        // ---- adapters, one per interface asked for ----
        internal nint[] AdapterTypes;
        internal object[] Adapters;

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
            nint self = ObjectRef.AddressOf(t);
            for (int i = 0; i < MaxTrackedCallers; i++)
                if (Interlocked.CompareExchange(ref Callers[i], self, 0) == 0) return;
            // More concurrent callers than slots: still counted; such a thread cannot recurse through Block.
        }

        internal void LeaveCounted(Thread t)
        {
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
            nint self = ObjectRef.AddressOf(t);
            for (int i = 0; i < MaxTrackedCallers; i++)
                if (Volatile.Read(in Callers[i]) == self) return true;
            return false;
        }

        /// <summary>The adapter presenting <paramref name="type"/>, created on first use; null if the version offers none.</summary>
        internal object AdapterFor(MethodTable* type, object representative)
        {
            for (int i = 0; i < MaxAdapters; i++)
                if (AdapterTypes[i] == (nint)type) return Adapters[i];
            object adapter = Factory.CreateAdapter(new InterfaceKey((nint)type), representative);
            if (adapter == null) return null;
            for (int i = 0; i < MaxAdapters; i++)
                if (Interlocked.CompareExchange(ref AdapterTypes[i], (nint)type, 0) == 0) { Adapters[i] = adapter; return adapter; }
            return adapter; // more interfaces than slots: uncached (the adapter is leaked on purpose, rarely)
        }

        /// <summary>Drops the adapters (they wrap representatives that are being replaced); returns them for deferred freeing.</summary>
        internal void ClearAdapters(ref DeferredFree bin)
        {
            for (int i = 0; i < MaxAdapters; i++)
            {
                if (Adapters[i] != null) bin.Add(Adapters[i]);
                Adapters[i] = null;
                AdapterTypes[i] = 0;
            }
        }
    }
}
