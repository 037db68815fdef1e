using Molt.Boot;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Smp;

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
    ///    MMIO regions of the boot memory map (registers early boot already
    ///    uses, such as the AArch64 UART) are mapped there too, as Device memory.
    /// 3. The loader's framebuffer, if any, in the direct map (read+write,
    ///    never executable), so the screen console keeps its address.
    /// 4. Activate. From here on the loader's tables are unused.
    /// </summary>
    public static unsafe class KernelAddressSpace
    {
        private static ulong s_root;
        /// <summary>The shared kernel tables: every mapping but the per-CPU window lives here.</summary>
        public static ulong Root => s_root;

        // ---- per-CPU roots (design (a) of the object translation tables) ----
        /// <summary>
        /// One top-level slot (index 509 of 512: 0xFFFFFE8000000000, 512 GiB)
        /// that maps differently on each CPU. Each CPU runs on its own copy of
        /// the top-level table, identical to the shared one except for this
        /// slot, so a fixed virtual address reaches this CPU's private pages
        /// (the object table's LTT) with one load and no per-CPU base register.
        /// Lower-level tables are shared, so every other mapping stays common.
        /// </summary>
        public const ulong PerCpuWindow = 0xFFFFFE8000000000;
        private const int PerCpuSlot = 509;
        private static ulong* s_cpuRoots;
        private static int s_cpuRootCount;

        /// <summary>The root this CPU runs on: its own copy once per-CPU roots exist, else the shared one.</summary>
        public static ulong ThisCpuRoot => s_cpuRoots == null ? s_root : s_cpuRoots[PerCpu.Current()->Index];

        /// <summary>
        /// Gives every CPU its own top-level table and maps <paramref name="bytes"/>
        /// of CPU i's private memory (<paramref name="physical"/>[i], contiguous)
        /// at <see cref="PerCpuWindow"/> on CPU i, then switches each CPU to its
        /// table. Returns false (changing nothing active) when memory runs out.
        /// </summary>
        public static bool EnablePerCpuWindows(ulong* physical, ulong bytes, int cpuCount)
        {
            var roots = (ulong*)Heap.Allocate((uint)(cpuCount * sizeof(ulong)));
            if (roots == null) return false;
            for (int c = 0; c < cpuCount; c++)
            {
                ulong r = PageTables.CreateRoot();
                if (r == 0) return false;
                ulong* dst = (ulong*)FrameAllocator.ToVirtual(r), src = (ulong*)FrameAllocator.ToVirtual(s_root);
                for (int i = 0; i < 512; i++) if (i != PerCpuSlot) dst[i] = src[i];
                if (!PageTables.Map(r, PerCpuWindow, physical[c], bytes, PageAccess.Read | PageAccess.Write)) return false;
                roots[c] = r;
            }
            s_cpuRoots = roots;
            s_cpuRootCount = cpuCount;
            int self = PerCpu.Current()->Index;
            for (int c = 0; c < cpuCount; c++)
                if (c != self && Smp.Processors.Get(c)->Online != 0) Smp.Interprocessor.Call(c, &SwitchToOwnRoot, 0, true);
            SwitchToOwnRoot(0);
            return true;
        }

        private static void SwitchToOwnRoot(nint unused) => PageTables.Activate(s_cpuRoots[PerCpu.Current()->Index]);

        /// <summary>Copies top-level entries the shared root gained into every CPU's root.</summary>
        internal static void SyncTopLevel()
        {
            if (s_cpuRoots == null) return;
            ulong* src = (ulong*)FrameAllocator.ToVirtual(s_root);
            for (int c = 0; c < s_cpuRootCount; c++)
            {
                ulong* dst = (ulong*)FrameAllocator.ToVirtual(s_cpuRoots[c]);
                for (int i = 0; i < 512; i++)
                    if (i != PerCpuSlot && dst[i] != src[i]) dst[i] = src[i];
            }
        }

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
                if (r->Kind == MemoryKind.Mmio)
                {
                    // Registers early boot already uses (the debug UART): Device memory, same offset.
                    ok = MapDirect(root, boot->DirectMapOffset, b, e, PageAccess.Read | PageAccess.Write | PageAccess.Device);
                    continue;
                }
                // Split around the kernel image, which is mapped read-only here.
                ok = MapDirect(root, boot->DirectMapOffset, b, e < imageStart ? e : (b < imageStart ? imageStart : b), PageAccess.Read | PageAccess.Write)
                  && MapDirect(root, boot->DirectMapOffset, b > imageStart ? b : imageStart, e < imageEnd ? e : imageEnd, PageAccess.Read)
                  && MapDirect(root, boot->DirectMapOffset, b > imageEnd ? b : imageEnd, e, PageAccess.Read | PageAccess.Write);
                mapped += e - b;
            }
            if (ok && boot->FramebufferPhysical != 0)
                ok = MapMissing(root, boot->DirectMapOffset, boot->FramebufferPhysical, boot->FramebufferBytes, PageAccess.Read | PageAccess.Write);
            if (!ok) Panic.Fail("out of memory building the kernel page tables");
            UnmapGuard(root, Layout.BootStackGuard);
            UnmapGuard(root, Layout.ExceptionStackGuard);
            PageTables.Activate(root);
            s_root = root;
            NameBootStacks();
            Log.Info("mem", $"kernel page tables at {root:x}: image W^X, {mapped / (1024 * 1024)} MiB direct-mapped at {boot->DirectMapOffset:x16}");
        }

        /// <summary>Leaves the guard page below a .bss boot stack unmapped in the image (its direct-map alias stays read-only).</summary>
        private static void UnmapGuard(ulong root, ulong guard)
        {
            if (guard != 0 && !PageTableWalker.Unmap(root, guard, 4096))
                Log.Warn("mem", $"the stack guard page at {guard:x} lies in a 2 MiB block: left mapped");
        }

        /// <summary>The boot CPU's .bss stacks, named for the overflow report (kernel/Memory/Stacks.cs).</summary>
        private static void NameBootStacks()
        {
            Stacks.Name(Layout.BootStackGuard + 4096, Layout.BootStackSize, "the boot thread's stack", 0);
            if (Layout.ExceptionStackGuard != 0)
                Stacks.Name(Layout.ExceptionStackGuard + 4096, Layout.ExceptionStackSize, "the exception stack (SP_EL1)", 0);
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
            if (!MapMissing(s_root, offset, phys, size, access)) return null;
            SyncTopLevel();
            return (void*)(offset + phys);
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
