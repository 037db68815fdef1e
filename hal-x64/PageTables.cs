using Molt.Arch.X64;
using Molt.Memory;

namespace Molt.Hal
{
    /// <summary>x86-64 4-level paging: PML4, PDPT, PD (2 MiB blocks), PT (4 KiB pages). NX needs EFER.NXE, set by the boot stub or Limine.</summary>
    public static unsafe partial class PageTables
    {
        private const ulong Present = 1, Writable = 2, WriteThrough = 8, CacheDisable = 16, Large = 0x80, Global = 0x100;
        private const ulong NoExecute = 1UL << 63;
        private const ulong AddressMask = 0x000FFFFFFFFFF000;
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

        private static ulong Bits(PageAccess access)
        {
            ulong bits = Present | Global;
            if ((access & PageAccess.Write) != 0) bits |= Writable;
            if ((access & PageAccess.Execute) == 0) bits |= NoExecute;
            if ((access & PageAccess.Device) != 0) bits |= CacheDisable | WriteThrough;
            return bits;
        }

        /// <summary>The table one level down for <paramref name="index"/>, created if absent; 0 on exhaustion or a block in the way.</summary>
        private static ulong* Next(ulong* table, int index)
        {
            ulong e = table[index];
            if ((e & Present) == 0)
            {
                ulong t = NewTable();
                if (t == 0) return null;
                // Intermediate levels allow everything; the leaf decides.
                table[index] = t | Present | Writable;
                return Table(t);
            }
            if ((e & Large) != 0) return null;
            return Table(e);
        }

        public static partial bool Map(ulong root, ulong virt, ulong phys, ulong size, PageAccess access)
        {
            ulong bits = Bits(access);
            ulong end = virt + size;
            while (virt < end)
            {
                ulong* pml4 = Table(root);
                ulong* pdpt = Next(pml4, (int)((virt >> 39) & 511));
                if (pdpt == null) return false;
                ulong* pd = Next(pdpt, (int)((virt >> 30) & 511));
                if (pd == null) return false;
                int pdIndex = (int)((virt >> 21) & 511);
                if ((virt & (TwoMiB - 1)) == 0 && (phys & (TwoMiB - 1)) == 0 && end - virt >= TwoMiB && (pd[pdIndex] & Present) == 0)
                {
                    pd[pdIndex] = phys | bits | Large;
                    virt += TwoMiB; phys += TwoMiB;
                    continue;
                }
                ulong* pt = Next(pd, pdIndex);
                if (pt == null) return false;
                pt[(virt >> 12) & 511] = phys | bits;
                virt += 4096; phys += 4096;
            }
            return true;
        }

        public static partial PageAccess Query(ulong root, ulong virt, out ulong phys)
        {
            phys = 0;
            ulong* t = Table(root);
            for (int level = 3; level >= 0; level--)
            {
                ulong e = t[(virt >> (12 + 9 * level)) & 511];
                if ((e & Present) == 0) return PageAccess.None;
                bool leaf = level == 0 || ((e & Large) != 0 && level <= 2);
                if (leaf)
                {
                    ulong pageMask = (1UL << (12 + 9 * level)) - 1;
                    phys = (e & AddressMask & ~pageMask) | (virt & pageMask);
                    PageAccess a = PageAccess.Read;
                    if ((e & Writable) != 0) a |= PageAccess.Write;
                    if ((e & NoExecute) == 0) a |= PageAccess.Execute;
                    if ((e & CacheDisable) != 0) a |= PageAccess.Device;
                    return a;
                }
                t = Table(e);
            }
            return PageAccess.None;
        }

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
