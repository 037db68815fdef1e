using Molt.Arch.X64;

namespace Molt.Hal
{
    /// <summary>
    /// x86-64 4-level paging entries: PML4 (level 3), PDPT, PD (2 MiB blocks,
    /// level 1), PT (4 KiB pages, level 0). The walk itself is
    /// kernel/Memory/PageTableWalker.cs. NX needs EFER.NXE, set by the boot stub or Limine.
    /// </summary>
    public static unsafe partial class PageTables
    {
        private const ulong Present = 1, Writable = 2, WriteThrough = 8, CacheDisable = 16, Large = 0x80, Global = 0x100;
        private const ulong NoExecute = 1UL << 63;
        internal const ulong AddressMask = 0x000FFFFFFFFFF000;

        internal static partial ulong LeafBits(PageAccess access, bool block)
        {
            ulong bits = Present | Global;
            if ((access & PageAccess.Write) != 0) bits |= Writable;
            if ((access & PageAccess.Execute) == 0) bits |= NoExecute;
            if ((access & PageAccess.Device) != 0) bits |= CacheDisable | WriteThrough;
            return block ? bits | Large : bits;
        }

        // Intermediate levels allow everything; the leaf decides.
        internal static partial ulong TableEntry(ulong tablePhysical) => tablePhysical | Present | Writable;

        internal static partial PageEntryKind Classify(ulong entry, int level)
        {
            if ((entry & Present) == 0) return PageEntryKind.Invalid;
            // PS (Large) marks a block in the PD and PDPT; in a PT bit 7 is PAT, and a PT entry is always a page.
            if (level == 0 || ((entry & Large) != 0 && level <= 2)) return PageEntryKind.Leaf;
            return PageEntryKind.Table;
        }

        internal static partial PageAccess LeafAccess(ulong entry)
        {
            PageAccess a = PageAccess.Read;
            if ((entry & Writable) != 0) a |= PageAccess.Write;
            if ((entry & NoExecute) == 0) a |= PageAccess.Execute;
            if ((entry & CacheDisable) != 0) a |= PageAccess.Device;
            return a;
        }

        // x86-64 stores are not reordered with other stores, and the page walker sees them in order.
        internal static partial void BeforeLinkingTable() { }
        internal static partial void AfterMapping() { }

        public static partial void Activate(ulong root)
        {
            // Global pages survive a CR3 write; clearing and setting CR4.PGE would flush them,
            // but the kernel's mappings are identical in every address space, so that is unneeded.
            Native.WriteCr3(root);
        }

        public static partial ulong ActiveRoot() => Native.ReadCr3() & AddressMask;

        public static partial void FlushLocal(ulong virt)
        {
            if (virt == ~0UL)
            {
                // Kernel mappings are global: toggling CR4.PGE flushes them too.
                ulong cr4 = Native.ReadCr4();
                Native.WriteCr4(cr4 & ~(1UL << 7));
                Native.WriteCr4(cr4);
                Native.WriteCr3(Native.ReadCr3());
            }
            else Native.Invlpg(virt);
        }
    }
}
