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

    /// <summary>What a page-table entry is, at the level it was read from (<see cref="PageTables.Classify"/>).</summary>
    public enum PageEntryKind
    {
        /// <summary>Not present, or an encoding the level does not allow.</summary>
        Invalid,
        /// <summary>Points to the table one level down.</summary>
        Table,
        /// <summary>Maps memory: a 4 KiB page at level 0, a block (2 MiB at level 1, 1 GiB at level 2) above.</summary>
        Leaf,
    }

    /// <summary>
    /// The paging contract. Both architectures have four levels of 512
    /// eight-byte entries over a 4 KiB granule, so the algorithm (table
    /// allocation, 2 MiB blocks or 4 KiB pages, the walk, the query) is written
    /// once, arch-neutral, in kernel/Memory/PageTableWalker.cs; each HAL supplies
    /// only what differs: the entry encoding and the barriers
    /// (hal-x64/PageEntries.cs: x86-64 PML4/PDPT/PD/PT; hal-arm64/PageEntries.cs:
    /// VMSAv8-64 L0-L3), and the TLB and root registers.
    /// Levels are numbered from the leaf: 0 is the 4 KiB page table, 3 the root.
    /// Table memory comes from the frame allocator and is reached through
    /// its direct map. Roots are physical addresses.
    /// Each HAL also defines <c>internal const ulong AddressMask</c>: the bits of an entry that hold a physical address.
    /// </summary>
    public static unsafe partial class PageTables
    {
        /// <summary>An empty top-level table, or 0 when no frame is free.</summary>
        public static ulong CreateRoot() => Memory.PageTableWalker.CreateRoot();

        /// <summary>
        /// Maps [virt, virt+size) to [phys, phys+size). Uses 2 MiB blocks where
        /// both addresses and the remaining size allow. Returns false when a
        /// table frame cannot be allocated; what was mapped stays mapped.
        /// </summary>
        public static bool Map(ulong root, ulong virt, ulong phys, ulong size, PageAccess access) =>
            Memory.PageTableWalker.Map(root, virt, phys, size, access);

        /// <summary>The access of the page holding <paramref name="virt"/>, or None when unmapped.</summary>
        public static PageAccess Query(ulong root, ulong virt, out ulong phys) => Memory.PageTableWalker.Query(root, virt, out phys);

        // ---- entry encoding and barriers: one implementation per HAL ----

        /// <summary>The attribute bits of a leaf entry for <paramref name="access"/> (the walker adds the address): a 2 MiB block when <paramref name="block"/>, else a 4 KiB page.</summary>
        internal static partial ulong LeafBits(PageAccess access, bool block);

        /// <summary>An entry pointing to the table at <paramref name="tablePhysical"/>; it restricts nothing (the leaf decides).</summary>
        internal static partial ulong TableEntry(ulong tablePhysical);

        /// <summary>What <paramref name="entry"/>, read at <paramref name="level"/>, is.</summary>
        internal static partial PageEntryKind Classify(ulong entry, int level);

        /// <summary>The access a leaf entry grants (Read at least).</summary>
        internal static partial PageAccess LeafAccess(ulong entry);

        /// <summary>Orders a new table's zeroed contents before the entry that links it (a barrier where the walker's reads need it).</summary>
        internal static partial void BeforeLinkingTable();

        /// <summary>Orders a Map's entry writes before what follows it (the table walker may read them next).</summary>
        internal static partial void AfterMapping();

        // ---- the translation registers and the TLB ----

        /// <summary>Switches this CPU to <paramref name="root"/> and flushes its TLB.</summary>
        public static partial void Activate(ulong root);

        public static partial ulong ActiveRoot();

        /// <summary>Drops this CPU's TLB entry for <paramref name="virt"/>, or every entry when it is ~0.</summary>
        public static partial void FlushLocal(ulong virt);
    }
}
