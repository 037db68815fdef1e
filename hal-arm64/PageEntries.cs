using Molt.Arch.Arm64;

namespace Molt.Hal
{
    /// <summary>
    /// VMSAv8-64 translation-table entries with a 4 KiB granule and 48-bit
    /// virtual addresses: four levels (L0 512 GiB = level 3, L1 1 GiB, L2 2 MiB
    /// blocks = level 1, L3 4 KiB pages = level 0). The walk itself is
    /// kernel/Memory/PageTableWalker.cs. Roots are for TTBR1_EL1, the upper half
    /// where the kernel lives; TTBR0 walks are disabled once the boot stub is in
    /// the higher half, so every lower-half access (null pointers included) faults.
    ///
    /// Memory types come from MAIR_EL1 as the boot stub programs it
    /// (boot/entry.S): index 0 Normal write-back, index 1 Device-nGnRE.
    /// Permissions: AP[2] makes a page read-only, PXN stops the kernel from
    /// executing it, UXN is always set (nothing runs at EL0), AP[1] is clear
    /// (EL0 has no access). Every entry is global and inner shareable.
    /// </summary>
    public static unsafe partial class PageTables
    {
        private const ulong Valid = 1, TableOrPage = 2;
        private const ulong AttrNormal = 0 << 2, AttrDevice = 1 << 2, AttrMask = 7 << 2;
        private const ulong ReadOnly = 1 << 7;           // AP[2]
        private const ulong InnerShareable = 3 << 8;
        private const ulong Accessed = 1 << 10;
        private const ulong PrivilegedNoExecute = 1UL << 53, UnprivilegedNoExecute = 1UL << 54;
        internal const ulong AddressMask = 0x0000FFFFFFFFF000;

        /// <summary>Block entries have type bits 01, page entries 11.</summary>
        internal static partial ulong LeafBits(PageAccess access, bool block)
        {
            ulong bits = Valid | Accessed | UnprivilegedNoExecute;
            bits |= (access & PageAccess.Device) != 0 ? AttrDevice : AttrNormal | InnerShareable;
            if ((access & PageAccess.Write) == 0) bits |= ReadOnly;
            if ((access & PageAccess.Execute) == 0 || (access & PageAccess.Device) != 0) bits |= PrivilegedNoExecute;
            return block ? bits : bits | TableOrPage;
        }

        // Intermediate levels restrict nothing (APTable, PXNTable 0); the leaf decides.
        internal static partial ulong TableEntry(ulong tablePhysical) => (tablePhysical & AddressMask) | Valid | TableOrPage;

        internal static partial PageEntryKind Classify(ulong entry, int level)
        {
            if ((entry & Valid) == 0) return PageEntryKind.Invalid;
            bool tableOrPage = (entry & TableOrPage) != 0;
            // Type 11 is a page at L3 and a table above; type 01 is a block at L1 and L2 only, invalid at L0 and L3.
            if (level == 0) return tableOrPage ? PageEntryKind.Leaf : PageEntryKind.Invalid;
            if (tableOrPage) return PageEntryKind.Table;
            return level == 3 ? PageEntryKind.Invalid : PageEntryKind.Leaf;
        }

        internal static partial PageAccess LeafAccess(ulong entry)
        {
            PageAccess a = PageAccess.Read;
            if ((entry & ReadOnly) == 0) a |= PageAccess.Write;
            if ((entry & PrivilegedNoExecute) == 0) a |= PageAccess.Execute;
            if ((entry & AttrMask) == AttrDevice) a |= PageAccess.Device;
            return a;
        }

        // The table walker is an observer of its own: a new table's zeroes must be
        // visible before the entry that links it, and the entries before their first use.
        internal static partial void BeforeLinkingTable() => Native.StoreBarrier();
        internal static partial void AfterMapping() => Native.StoreBarrier();

        public static partial void Activate(ulong root)
        {
            // The kernel runs through TTBR1 and the new tables map it at the same
            // addresses, so switching under our feet is safe; molt_write_ttbr1
            // orders the table writes before the switch and flushes the TLB after.
            Native.WriteTtbr1(root);
        }

        public static partial ulong ActiveRoot() => Native.ReadTtbr1() & AddressMask;

        /// <summary>Local TLB maintenance only (TLBI without the IS suffix): other CPUs are reached by shoot-down IPIs, as on x86-64.</summary>
        public static partial void FlushLocal(ulong virt)
        {
            if (virt == ulong.MaxValue) Native.InvalidateAll();
            else Native.InvalidatePage(virt);
        }
    }
}
