using Molt.Arch.Arm64;
using Molt.Memory;

namespace Molt.Hal
{
    /// <summary>
    /// VMSAv8-64 translation tables with a 4 KiB granule and 48-bit virtual
    /// addresses: four levels (L0 512 GiB, L1 1 GiB, L2 2 MiB blocks, L3 4 KiB
    /// pages). Roots are for TTBR1_EL1, the upper half where the kernel lives;
    /// TTBR0 walks are disabled once the boot stub is in the higher half, so
    /// every lower-half access (null pointers included) faults.
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
        private const ulong AddressMask = 0x0000FFFFFFFFF000;
        private const ulong TwoMiB = 0x200000;

        private static ulong* Table(ulong phys) => (ulong*)FrameAllocator.ToVirtual(phys & AddressMask);

        private static ulong NewTable()
        {
            ulong frame = FrameAllocator.Allocate();
            if (frame == 0) return 0;
            ulong* t = Table(frame);
            for (int i = 0; i < 512; i++) t[i] = 0;
            return frame;
        }

        public static partial ulong CreateRoot() => NewTable();

        /// <summary>Attribute bits of a block or page entry (the type bits [1:0] are added by the caller).</summary>
        private static ulong Bits(PageAccess access)
        {
            ulong bits = Valid | Accessed | UnprivilegedNoExecute;
            bits |= (access & PageAccess.Device) != 0 ? AttrDevice : AttrNormal | InnerShareable;
            if ((access & PageAccess.Write) == 0) bits |= ReadOnly;
            if ((access & PageAccess.Execute) == 0 || (access & PageAccess.Device) != 0) bits |= PrivilegedNoExecute;
            return bits;
        }

        /// <summary>The table one level down for <paramref name="index"/>, created if absent; null on exhaustion or a block in the way.</summary>
        private static ulong* Next(ulong* table, int index)
        {
            ulong e = table[index];
            if ((e & Valid) == 0)
            {
                ulong t = NewTable();
                if (t == 0) return null;
                // Intermediate levels restrict nothing (APTable, PXNTable 0); the leaf decides.
                Native.StoreBarrier();
                table[index] = t | Valid | TableOrPage;
                return Table(t);
            }
            if ((e & TableOrPage) == 0) return null; // a block
            return Table(e);
        }

        public static partial bool Map(ulong root, ulong virt, ulong phys, ulong size, PageAccess access)
        {
            ulong bits = Bits(access);
            ulong end = virt + size;
            while (virt < end)
            {
                ulong* l0 = Table(root);
                ulong* l1 = Next(l0, (int)((virt >> 39) & 511));
                if (l1 == null) return false;
                ulong* l2 = Next(l1, (int)((virt >> 30) & 511));
                if (l2 == null) return false;
                int l2Index = (int)((virt >> 21) & 511);
                if ((virt & (TwoMiB - 1)) == 0 && (phys & (TwoMiB - 1)) == 0 && end - virt >= TwoMiB && (l2[l2Index] & Valid) == 0)
                {
                    l2[l2Index] = (phys & AddressMask) | bits; // block: type bits 01
                    virt += TwoMiB; phys += TwoMiB;
                    continue;
                }
                ulong* l3 = Next(l2, l2Index);
                if (l3 == null) return false;
                l3[(virt >> 12) & 511] = (phys & AddressMask) | bits | TableOrPage; // page: type bits 11
                virt += 4096; phys += 4096;
            }
            Native.StoreBarrier();
            return true;
        }

        public static partial PageAccess Query(ulong root, ulong virt, out ulong phys)
        {
            phys = 0;
            ulong* t = Table(root);
            for (int level = 3; level >= 0; level--)
            {
                ulong e = t[(virt >> (12 + 9 * level)) & 511];
                if ((e & Valid) == 0) return PageAccess.None;
                bool isTable = (e & TableOrPage) != 0;
                // Type 01 is a block at L1 and L2 only; at L0 and L3 it is invalid.
                if (!isTable && (level == 3 || level == 0)) return PageAccess.None;
                if (level == 0 || !isTable)
                {
                    ulong pageMask = (1UL << (12 + 9 * level)) - 1;
                    phys = (e & AddressMask & ~pageMask) | (virt & pageMask);
                    PageAccess a = PageAccess.Read;
                    if ((e & ReadOnly) == 0) a |= PageAccess.Write;
                    if ((e & PrivilegedNoExecute) == 0) a |= PageAccess.Execute;
                    if ((e & AttrMask) == AttrDevice) a |= PageAccess.Device;
                    return a;
                }
                t = Table(e);
            }
            return PageAccess.None;
        }

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
