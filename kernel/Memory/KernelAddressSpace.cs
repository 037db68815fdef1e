using Molt.Boot;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;

namespace Molt.Memory
{
    /// <summary>
    /// Builds and switches to the kernel's own page tables:
    /// 1. The kernel image at its link address, W^X: text read+execute,
    ///    read-only data (and the symbol table) read-only, data and .bss
    ///    read+write, never executable.
    /// 2. A direct map of every RAM region of the boot memory map at the same
    ///    offset the loader used, so no pointer handed out so far moves.
    ///    It is never executable; the kernel image's own frames are mapped
    ///    read-only there, so no writable alias of kernel text exists.
    /// 3. The loader's framebuffer, if any, in the direct map (read+write,
    ///    never executable), so the screen console keeps its address.
    /// 4. Activate. From here on the loader's tables are unused.
    /// </summary>
    public static unsafe class KernelAddressSpace
    {
        private static ulong s_root;
        public static ulong Root => s_root;

        public static void Build(BootInfo* boot)
        {
            ulong root = PageTables.CreateRoot();
            if (root == 0) Panic.Fail("out of memory creating the kernel page tables");
            ulong physBase = boot->KernelPhysicalBase;
            ulong start = Layout.KernelStart;
            bool ok = MapImage(root, start, Layout.TextEnd, physBase, PageAccess.Read | PageAccess.Execute)
                   && MapImage(root, Layout.TextEnd, Layout.RodataEnd, physBase, PageAccess.Read)
                   && MapImage(root, Layout.RodataEnd, Layout.DataEnd, physBase, PageAccess.Read | PageAccess.Write)
                   && MapImage(root, Layout.DataEnd, Layout.KernelEnd, physBase, PageAccess.Read);
            ulong mapped = 0;
            ulong imageStart = physBase, imageEnd = physBase + (Layout.KernelEnd - start);
            for (uint i = 0; ok && i < boot->RegionCount; i++)
            {
                MemoryRegion* r = boot->Regions + i;
                if (r->Kind == MemoryKind.Bad || r->Kind == MemoryKind.Reserved) continue; // devices are mapped by their drivers
                ulong b = r->Base & ~0xFFFUL;
                ulong e = (r->Base + r->Length + 0xFFF) & ~0xFFFUL;
                // Split around the kernel image, which is mapped read-only here.
                ok = MapDirect(root, boot->DirectMapOffset, b, e < imageStart ? e : (b < imageStart ? imageStart : b), PageAccess.Read | PageAccess.Write)
                  && MapDirect(root, boot->DirectMapOffset, b > imageStart ? b : imageStart, e < imageEnd ? e : imageEnd, PageAccess.Read)
                  && MapDirect(root, boot->DirectMapOffset, b > imageEnd ? b : imageEnd, e, PageAccess.Read | PageAccess.Write);
                mapped += e - b;
            }
            if (ok && boot->FramebufferPhysical != 0)
                ok = MapMissing(root, boot->DirectMapOffset, boot->FramebufferPhysical, boot->FramebufferBytes, PageAccess.Read | PageAccess.Write);
            if (!ok) Panic.Fail("out of memory building the kernel page tables");
            PageTables.Activate(root);
            s_root = root;
            Log.Info("mem", $"kernel page tables at {root:x}: image W^X, {mapped / (1024 * 1024)} MiB direct-mapped at {boot->DirectMapOffset:x16}");
        }

        /// <summary>
        /// Makes [phys, phys+size) reachable through the direct map with
        /// <paramref name="access"/> (Device for MMIO) and returns its virtual
        /// address, or null when page tables cannot grow. Used for firmware
        /// tables and device registers, which the boot map leaves out.
        /// Mapping a range twice is harmless; the first mapping's access wins
        /// for pages already mapped as 4 KiB or 2 MiB leaves.
        /// </summary>
        public static void* MapPhysical(ulong phys, ulong size, PageAccess access)
        {
            ulong offset = Kernel.Boot->DirectMapOffset;
            if (s_root == 0) return (void*)(offset + phys); // loader's tables still active
            return MapMissing(s_root, offset, phys, size, access) ? (void*)(offset + phys) : null;
        }

        /// <summary>Maps the pages of [phys, phys+size) not yet mapped in the direct map of <paramref name="root"/>.</summary>
        private static bool MapMissing(ulong root, ulong offset, ulong phys, ulong size, PageAccess access)
        {
            ulong first = phys & ~0xFFFUL;
            ulong last = (phys + size + 0xFFF) & ~0xFFFUL;
            for (ulong p = first; p < last; p += 4096)
            {
                ulong ignored;
                if (PageTables.Query(root, offset + p, out ignored) != PageAccess.None) continue;
                if (!PageTables.Map(root, offset + p, p, 4096, access)) return false;
            }
            return true;
        }

        private static bool MapImage(ulong root, ulong from, ulong to, ulong physBase, PageAccess access)
        {
            if (to <= from) return true;
            return PageTables.Map(root, from, physBase + (from - Layout.KernelStart), to - from, access);
        }

        private static bool MapDirect(ulong root, ulong offset, ulong from, ulong to, PageAccess access)
        {
            if (to <= from) return true;
            return PageTables.Map(root, offset + from, from, to - from, access);
        }
    }
}
