namespace Molt.Hal
{
    /// <summary>What a mapping allows. Read is implied by any mapping; no Execute means no-execute.</summary>
    [System.Flags]
    public enum PageAccess : uint
    {
        None = 0,
        Read = 1,
        Write = 2,
        Execute = 4,
        /// <summary>Device memory: uncached, strongly ordered.</summary>
        Device = 8,
    }

    /// <summary>
    /// The paging contract (hal-x64/PageTables.cs: 4-level x86-64 tables;
    /// hal-arm64/PageTables.cs: 4-level VMSAv8-64 with a 4 KiB granule).
    /// Table memory comes from the frame allocator and is reached through
    /// its direct map. Roots are physical addresses.
    /// </summary>
    public static unsafe partial class PageTables
    {
        /// <summary>An empty top-level table, or 0 when no frame is free.</summary>
        public static partial ulong CreateRoot();

        /// <summary>
        /// Maps [virt, virt+size) to [phys, phys+size). Uses 2 MiB blocks where
        /// both addresses and the remaining size allow. Returns false when a
        /// table frame cannot be allocated; what was mapped stays mapped.
        /// </summary>
        public static partial bool Map(ulong root, ulong virt, ulong phys, ulong size, PageAccess access);

        /// <summary>The access of the page holding <paramref name="virt"/>, or None when unmapped.</summary>
        public static partial PageAccess Query(ulong root, ulong virt, out ulong phys);

        /// <summary>Switches this CPU to <paramref name="root"/> and flushes its TLB.</summary>
        public static partial void Activate(ulong root);

        public static partial ulong ActiveRoot();

        /// <summary>Drops this CPU's TLB entry for <paramref name="virt"/>, or every entry when it is ~0.</summary>
        public static partial void FlushLocal(ulong virt);
    }
}
