using Internal.Runtime;

namespace Molt.Update
{
    /// <summary>
    /// One version of an updatable class: it makes representatives, says
    /// which state-transfer formats it can export and import, moves state
    /// in from an older (or newer, for rollback) version, checks a new
    /// representative after commit, and may present older interfaces
    /// through adapters.
    ///
    /// Formats are bits: bit n set means "format n". The hot swap picks the
    /// highest format the old version exports and the new one imports; with
    /// none in common the swap fails before anything changes.
    ///
    /// A factory instance lives as long as the kernel (old versions are kept
    /// for rollback). It allocates representatives with <c>new</c>; the
    /// object table frees them once no operation can still use them.
    /// </summary>
    public abstract unsafe class UpdatableFactory
    {
        public string Name;
        public int Version;
        public uint ExportFormats;
        public uint ImportFormats;
        /// <summary>True if each CPU gets its own representative (a per-CPU counter), false for one shared representative.</summary>
        public bool PerCpu;

        /// <summary>A representative in its initial state, or null when memory is exhausted.</summary>
        public abstract object CreateRepresentative(ObjectRoot root, int cpu);

        /// <summary>
        /// Moves state from <paramref name="from"/> (made by another version's
        /// factory) into <paramref name="into"/> (made by this one), in
        /// <paramref name="format"/>. Must not change <paramref name="from"/>:
        /// a failed swap keeps serving it. Returns false if the state cannot be moved.
        /// </summary>
        public abstract bool ImportState(object into, object from, int format);

        /// <summary>Runs on each new representative after state transfer, before any caller sees it. False rolls the update back.</summary>
        public abstract bool SelfCheck(object representative);

        /// <summary>
        /// An object presenting interface <paramref name="interfaceType"/> over
        /// <paramref name="representative"/> for callers compiled against an
        /// older interface, or null if this version offers none. The table
        /// owns and frees the adapter.
        /// </summary>
        public abstract object CreateAdapter(InterfaceKey interfaceType, object representative);

        /// <summary>
        /// Frees what <paramref name="representative"/> owns (not the object
        /// itself: the object table frees that) once no operation can use it:
        /// an old version after a commit, a new one after a failed swap.
        /// Abstract, like every member a patch overrides (docs/patching.md).
        /// </summary>
        public abstract void ReleaseRepresentative(object representative);

        /// <summary>Highest format in both masks, or -1.</summary>
        public static int Negotiate(uint exported, uint imported)
        {
            uint common = exported & imported;
            if (common == 0) return -1;
            int f = 31;
            while ((common & (1u << f)) == 0) f--;
            return f;
        }
    }
}

namespace Molt.Update
{
    /// <summary>Identifies an interface type without reflection (its MethodTable's address).</summary>
    public readonly unsafe struct InterfaceKey
    {
        public readonly nint Value;
        internal InterfaceKey(nint value) { Value = value; }
        public static InterfaceKey Of<T>() where T : class => new InterfaceKey((nint)MethodTable.Of<T>());
        public static bool operator ==(InterfaceKey a, InterfaceKey b) => a.Value == b.Value;
        public static bool operator !=(InterfaceKey a, InterfaceKey b) => a.Value != b.Value;
        public override bool Equals(object o) => o is InterfaceKey k && k.Value == Value;
        public override int GetHashCode() => (int)Value;
    }
}
