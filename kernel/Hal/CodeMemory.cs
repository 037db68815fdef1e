namespace Molt.Hal
{
    /// <summary>
    /// Additions to the paging contract for memory that holds loaded code
    /// (update/Linker/PatchMemory.cs): unmapping 4 KiB pages. Protection
    /// changes need no new contract: mapping a 4 KiB page again replaces its
    /// leaf entry (see PatchMemory.Protect). Each arch implements it in
    /// hal-*/PageTablesUnmap.cs with its own walk, over the architectural
    /// entry format only.
    /// </summary>
    public static unsafe partial class PageTables
    {
        /// <summary>
        /// Clears the 4 KiB leaf entries of [virt, virt+size) in <paramref name="root"/>.
        /// Pages not mapped are skipped. Returns false, changing nothing
        /// further, at a 2 MiB or larger block (which this does not split).
        /// Table frames are kept. The caller flushes TLBs (local and remote).
        /// </summary>
        public static partial bool Unmap(ulong root, ulong virt, ulong size);
    }

    /// <summary>Instruction-cache maintenance after writing code (hal-x64: nothing; hal-arm64: DC CVAU, IC IVAU).</summary>
    public static unsafe partial class CodeCache
    {
        /// <summary>Makes instructions written to [start, start+size) visible to instruction fetch on every CPU.</summary>
        public static partial void Synchronize(void* start, ulong size);
    }
}
