using Molt.Console;
using Molt.Hal;
using Molt.Threading;

namespace Molt.Memory
{
    /// <summary>
    /// Kernel stacks with a guard page: each stack is mapped in its own range of
    /// a dedicated region of the kernel address space (top-level slot 508,
    /// <see cref="RegionBase"/>, 512 GiB), with one unmapped page below it, so
    /// running off the bottom faults instead of silently overwriting what lies
    /// below (which in the direct map would be any other frame).
    ///
    /// Protocol:
    /// 1. Allocate: take contiguous frames, then, under the lock, the next
    ///    range of the region: a guard page, then the stack. Map the stack
    ///    read+write, never executable, in the shared kernel root, and copy a
    ///    new top-level entry into every CPU's root (the region's first map).
    /// 2. Free: unmap the stack's pages (this CPU's TLB flushed), then free the frames.
    /// 3. A fault whose address is in the region but not mapped is a guard
    ///    page (or a freed stack): <see cref="WriteOverflow"/> names the stack
    ///    above it: the current thread's, a registered one's, or its address.
    /// Invariants: addresses are never reused (a bump pointer), so no other
    /// CPU can hold a translation that a later stack would need shot down; a
    /// freed stack's addresses stay unmapped, so a dangling pointer into it
    /// faults. The cost: the region's page tables are never freed (one 4 KiB
    /// table per 2 MiB of stacks ever allocated; 512 GiB of addresses is
    /// about 13 million 36 KiB stacks).
    /// The lock is taken with interrupts off: the scheduler frees dead threads'
    /// stacks from its switch path.
    /// </summary>
    public static unsafe class Stacks
    {
        public const ulong RegionBase = 0xFFFFFE0000000000;
        public const ulong RegionSize = 512UL << 30;
        public const ulong GuardSize = 4096;
        public const int MaxNamed = 3 * Scheduler.MaxCpus;

        private static SpinLock s_lock;
        private static ulong s_next = RegionBase;

        // Stacks that are not threads' (interrupt and exception stacks), named for the overflow report.
        private struct Named { public ulong Bottom, Size; public string Name; public int Cpu; }
        private static Named[] s_named;
        private static int s_namedCount;

        /// <summary>
        /// Step 1: a stack of <paramref name="bytes"/> (rounded up to pages) with an
        /// unmapped guard page below it. Returns its lowest address (its top is
        /// that plus the size) and its frames in <paramref name="physical"/>; 0 when
        /// memory or page tables run out. Needs the kernel's own page tables.
        /// </summary>
        public static ulong Allocate(ulong bytes, out ulong physical)
        {
            ulong pages = (bytes + 4095) / 4096;
            physical = FrameAllocator.AllocateContiguous(pages);
            if (physical == 0) return 0;
            bool irq = s_lock.Acquire();
            ulong bottom = s_next + GuardSize;
            bool ok = bottom + pages * 4096 <= RegionBase + RegionSize
                   && PageTables.Map(KernelAddressSpace.Root, bottom, physical, pages * 4096, PageAccess.Read | PageAccess.Write);
            if (ok)
            {
                s_next = bottom + pages * 4096;
                KernelAddressSpace.SyncTopLevel();
            }
            s_lock.Release(irq);
            if (!ok) { FrameAllocator.Free(physical, pages); physical = 0; return 0; }
            return bottom;
        }

        /// <summary>Step 2, for a stack from <see cref="Allocate"/>.</summary>
        public static void Free(ulong bottom, ulong bytes, ulong physical)
        {
            ulong pages = (bytes + 4095) / 4096;
            bool irq = s_lock.Acquire();
            PageTableWalker.Unmap(KernelAddressSpace.Root, bottom, pages * 4096);
            s_lock.Release(irq);
            FrameAllocator.Free(physical, pages);
        }

        /// <summary>Names a stack that is no thread's (an interrupt or exception stack of <paramref name="cpu"/>) for the overflow report.</summary>
        public static void Name(ulong bottom, ulong bytes, string name, int cpu)
        {
            bool irq = s_lock.Acquire();
            if (s_named == null) s_named = new Named[MaxNamed];
            if (s_namedCount < MaxNamed)
            {
                s_named[s_namedCount].Bottom = bottom;
                s_named[s_namedCount].Size = bytes;
                s_named[s_namedCount].Name = name;
                s_named[s_namedCount].Cpu = cpu;
                s_namedCount++;
            }
            s_lock.Release(irq);
        }

        /// <summary>True when <paramref name="address"/> is on an unmapped page in the region below the bump pointer (a guard page or a freed stack), or in the guard page of a named stack outside it.</summary>
        public static bool IsGuard(ulong address)
        {
            ulong phys;
            bool inRegion = address >= RegionBase && address < s_next; // a stale read of s_next only misses the newest stack
            if (!inRegion)
            {
                // A named stack outside the region (the boot CPU's, in .bss) with its own unmapped guard page.
                int i = 0;
                while (i < s_namedCount && !(address >= s_named[i].Bottom - GuardSize && address < s_named[i].Bottom)) i++;
                if (i == s_namedCount) return false;
            }
            return PageTables.Query(KernelAddressSpace.Root, address, out phys) == PageAccess.None;
        }

        /// <summary>
        /// Step 3, for a fault handler, before anything else is printed: when
        /// <paramref name="address"/> is a guard page, writes the panic reason
        /// ("stack overflow: ...", naming the stack) and returns true.
        /// </summary>
        public static bool WriteOverflow(ulong address)
        {
            if (!IsGuard(address)) return false;
            ulong stackBottom = (address & ~(GuardSize - 1)) + GuardSize;
            KernelConsole.Write("stack overflow: ");
            Thread t = Scheduler.Started ? Scheduler.Current : null;
            if (t != null && t.StackBottom == stackBottom)
            {
                KernelConsole.Write("thread '");
                KernelConsole.Write(t.Name ?? "?");
                KernelConsole.Write("' (id ");
                KernelConsole.WriteDecimal(t.Id);
                KernelConsole.Write(") ran past the bottom of its stack [0x");
                KernelConsole.WriteHex(stackBottom, 16);
                KernelConsole.Write(", 0x");
                KernelConsole.WriteHex((ulong)t.StackTop, 16);
                KernelConsole.Write(")");
            }
            else
            {
                int i = 0;
                while (i < s_namedCount && s_named[i].Bottom != stackBottom) i++;
                if (i < s_namedCount)
                {
                    KernelConsole.Write(s_named[i].Name);
                    KernelConsole.Write(" of CPU ");
                    KernelConsole.WriteDecimal(s_named[i].Cpu);
                    KernelConsole.Write(" ran past its bottom [0x");
                    KernelConsole.WriteHex(stackBottom, 16);
                    KernelConsole.Write(", 0x");
                    KernelConsole.WriteHex(stackBottom + s_named[i].Size, 16);
                    KernelConsole.Write(")");
                }
                else
                {
                    KernelConsole.Write("the stack at 0x");
                    KernelConsole.WriteHex(stackBottom, 16);
                    KernelConsole.Write(" (no live thread's) ran past its bottom, or a freed stack was used");
                }
            }
            KernelConsole.Write(" into the guard page at 0x");
            KernelConsole.WriteHex(address & ~(GuardSize - 1), 16);
            return true;
        }
    }
}
