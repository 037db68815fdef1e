using Molt.Hal;
using Molt.Memory;
using Molt.Testing;
using Molt.Threading;

namespace Molt.Tests
{
    /// <summary>Stacks with guard pages (kernel/Memory/Stacks.cs): mapped read+write, an unmapped page below, unmapped again once freed.</summary>
    internal static unsafe class StackTests
    {
        public static void Register()
        {
            TestRunner.Add("stacks.guard_page_below", &GuardBelow);
            TestRunner.Add("stacks.freed_stack_is_unmapped", &FreedUnmapped);
            TestRunner.Add("stacks.every_thread_has_a_guard", &ThreadGuard);
            TestRunner.Add("stacks.boot_stacks_have_guards", &BootGuards);
        }

        private static PageAccess Query(ulong virt) { ulong phys; return PageTables.Query(KernelAddressSpace.Root, virt, out phys); }

        private static void GuardBelow(TestContext t)
        {
            ulong phys;
            ulong bottom = Stacks.Allocate(3 * 4096, out phys);
            if (!t.True(bottom != 0, "a stack")) return;
            t.True(bottom >= Stacks.RegionBase && bottom < Stacks.RegionBase + Stacks.RegionSize, "in the stack region");
            t.Equal(0UL, bottom & 0xFFF, "page aligned");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)Query(bottom), "the bottom page is read+write, not executable");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)Query(bottom + 3 * 4096 - 8), "the top page too");
            t.Equal((long)PageAccess.None, (long)Query(bottom - 8), "the page below is unmapped");
            t.True(Stacks.IsGuard(bottom - 8), "and is a guard page");
            t.True(!Stacks.IsGuard(bottom), "the stack itself is not");
            t.True(!Stacks.IsGuard(0x1000), "an address outside the region is not");
            ulong physBack;
            PageTables.Query(KernelAddressSpace.Root, bottom + 4096, out physBack);
            t.Equal(phys + 4096, physBack, "the frames are the ones returned");
            ((ulong*)bottom)[0] = 0x5AFE;
            t.Equal(0x5AFEUL, *(ulong*)FrameAllocator.ToVirtual(phys), "writes reach the frames");
            ulong phys2;
            ulong next = Stacks.Allocate(4096, out phys2);
            t.True(next >= bottom + 3 * 4096 + Stacks.GuardSize, "the next stack starts above a guard page of its own");
            Stacks.Free(next, 4096, phys2);
            Stacks.Free(bottom, 3 * 4096, phys);
        }

        private static void FreedUnmapped(TestContext t)
        {
            ulong phys;
            ulong bottom = Stacks.Allocate(2 * 4096, out phys);
            if (!t.True(bottom != 0, "a stack")) return;
            Stacks.Free(bottom, 2 * 4096, phys);
            t.Equal((long)PageAccess.None, (long)Query(bottom), "unmapped once freed");
            t.Equal((long)PageAccess.None, (long)Query(bottom + 4096), "every page");
            t.True(Stacks.IsGuard(bottom), "a freed stack faults like a guard page");
        }

        private static void BootGuards(TestContext t)
        {
            ulong guard = Layout.BootStackGuard;
            t.Equal(0UL, guard & 0xFFF, "the boot stack's guard is a page");
            t.Equal((long)PageAccess.None, (long)Query(guard), "unmapped");
            t.True(Stacks.IsGuard(guard + 8), "and known as a guard page");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)Query(guard + 4096), "the stack above it is mapped");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)Query(guard + Layout.BootStackSize), "up to its top");
            ulong exception = Layout.ExceptionStackGuard;
            if (exception != 0)
            {
                t.Equal((long)PageAccess.None, (long)Query(exception), "the exception stack's guard is unmapped");
                t.True(Stacks.IsGuard(exception + 8), "and known");
                t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)Query(exception + 4096), "the exception stack is mapped");
            }
        }

        private static void Nothing(nint unused) { }

        private static void ThreadGuard(TestContext t)
        {
            Thread self = Scheduler.Current;
            t.True(self.StackBottom != 0, "the test's own thread has a guarded stack");
            t.True(Stacks.IsGuard(self.StackBottom - 8), "with a guard page below it");
            Thread other = Scheduler.Spawn(&Nothing, 0, "stacks.other");
            if (!t.True(other != null, "spawned")) return;
            ulong bottom = other.StackBottom;
            t.True(Stacks.IsGuard(bottom - 8), "a new thread's guard page");
            t.Equal((ulong)other.StackTop, bottom + other.StackPages * 4096, "top = bottom + size");
            other.Join();
            Memory.Heap.Free(other);
        }
    }
}
