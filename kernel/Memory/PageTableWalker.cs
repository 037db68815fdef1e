using Molt.Hal;

namespace Molt.Memory
{
    /// <summary>
    /// The page-table algorithm, once for both architectures: four levels of
    /// 512 entries (level 3 the root, level 0 the 4 KiB page table), 2 MiB
    /// blocks at level 1 where addresses and size allow, tables allocated on
    /// demand from the frame allocator and reached through its direct map.
    /// What an entry looks like comes from the HAL (kernel/Hal/PageTables.cs:
    /// LeafBits, TableEntry, Classify, LeafAccess, AddressMask) with its barriers
    /// (BeforeLinkingTable, AfterMapping).
    ///
    /// Map protocol, per 4 KiB page or 2 MiB block:
    /// 1. Walk from the root to level 1, creating each missing table: zero it,
    ///    order the zeroes (BeforeLinkingTable), then link it.
    /// 2. A 2 MiB block is written at level 1 when virt, phys and the remaining
    ///    size are 2 MiB aligned and the slot is empty; otherwise walk to level 0
    ///    and write a page entry.
    /// 3. After the last entry, AfterMapping orders the writes.
    /// Invariant: an existing mapping is never replaced by a block, and a block
    /// in the way of a page ends the map with false (nothing splits blocks).
    /// </summary>
    public static unsafe class PageTableWalker
    {
        public const int Levels = 4;
        public const ulong BlockSize = 0x200000;

        private static ulong* Table(ulong phys) => (ulong*)FrameAllocator.ToVirtual(phys & PageTables.AddressMask);

        private static int Index(ulong virt, int level) => (int)((virt >> (12 + 9 * level)) & 511);

        private static ulong NewTable()
        {
            ulong frame = FrameAllocator.Allocate();
            if (frame == 0) return 0;
            ulong* t = Table(frame);
            for (int i = 0; i < 512; i++) t[i] = 0;
            return frame;
        }

        /// <summary>An empty root table, or 0 when no frame is free.</summary>
        public static ulong CreateRoot() => NewTable();

        /// <summary>Step 1: the table one level below <paramref name="level"/> for <paramref name="index"/>, created if absent; null on exhaustion or a block in the way.</summary>
        private static ulong* Next(ulong* table, int index, int level)
        {
            ulong e = table[index];
            PageEntryKind kind = PageTables.Classify(e, level);
            if (kind == PageEntryKind.Table) return Table(e);
            if (kind == PageEntryKind.Leaf) return null;
            ulong t = NewTable();
            if (t == 0) return null;
            PageTables.BeforeLinkingTable();
            table[index] = PageTables.TableEntry(t);
            return Table(t);
        }

        /// <summary>Maps [virt, virt+size) to [phys, phys+size) (see the protocol above); false when a table frame cannot be allocated or a block is in the way.</summary>
        public static bool Map(ulong root, ulong virt, ulong phys, ulong size, PageAccess access)
        {
            ulong pageBits = PageTables.LeafBits(access, block: false);
            ulong blockBits = PageTables.LeafBits(access, block: true);
            ulong end = virt + size;
            while (virt < end)
            {
                ulong* t = Table(root);
                for (int level = Levels - 1; level > 1 && t != null; level--) t = Next(t, Index(virt, level), level);
                if (t == null) return false;
                int blockIndex = Index(virt, 1);
                if ((virt & (BlockSize - 1)) == 0 && (phys & (BlockSize - 1)) == 0 && end - virt >= BlockSize
                    && PageTables.Classify(t[blockIndex], 1) == PageEntryKind.Invalid)
                {
                    t[blockIndex] = (phys & PageTables.AddressMask) | blockBits;
                    virt += BlockSize; phys += BlockSize;
                    continue;
                }
                ulong* pt = Next(t, blockIndex, 1);
                if (pt == null) return false;
                pt[Index(virt, 0)] = (phys & PageTables.AddressMask) | pageBits;
                virt += 4096; phys += 4096;
            }
            PageTables.AfterMapping();
            return true;
        }

        /// <summary>
        /// Unmaps the 4 KiB pages of [virt, virt+size) (entries zeroed, the walk's
        /// tables kept) and flushes this CPU's TLB entry for each. Other CPUs are
        /// not told: a caller that reuses the addresses must shoot them down.
        /// False when a 2 MiB block covers part of the range (nothing splits blocks).
        /// </summary>
        public static bool Unmap(ulong root, ulong virt, ulong size)
        {
            for (ulong end = virt + size; virt < end; virt += 4096)
            {
                ulong* t = Table(root);
                int level = Levels - 1;
                for (; level > 0; level--)
                {
                    PageEntryKind kind = PageTables.Classify(t[Index(virt, level)], level);
                    if (kind == PageEntryKind.Leaf) return false;
                    if (kind == PageEntryKind.Invalid) break;
                    t = Table(t[Index(virt, level)]);
                }
                if (level > 0) continue; // nothing mapped here
                t[Index(virt, 0)] = 0;
                PageTables.AfterMapping();
                PageTables.FlushLocal(virt);
            }
            return true;
        }

        /// <summary>The access of the page or block holding <paramref name="virt"/> and its physical address, or None when unmapped.</summary>
        public static PageAccess Query(ulong root, ulong virt, out ulong phys)
        {
            phys = 0;
            ulong* t = Table(root);
            for (int level = Levels - 1; level >= 0; level--)
            {
                ulong e = t[Index(virt, level)];
                PageEntryKind kind = PageTables.Classify(e, level);
                if (kind == PageEntryKind.Invalid) return PageAccess.None;
                if (kind == PageEntryKind.Leaf)
                {
                    ulong pageMask = (1UL << (12 + 9 * level)) - 1;
                    phys = (e & PageTables.AddressMask & ~pageMask) | (virt & pageMask);
                    return PageTables.LeafAccess(e);
                }
                t = Table(e);
            }
            return PageAccess.None;
        }
    }
}
