using System;
using System.Runtime.CompilerServices;
using Molt.Hal;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The kernel's page tables, read back with PageTables.Query on
    /// KernelAddressSpace.Root: W^X for the image sections, the direct map
    /// never executable and read-only over the image, nothing at address 0.
    /// </summary>
    internal static unsafe class PagingTests
    {
        public static void Register()
        {
            TestRunner.Add("paging.root_is_active", &RootActive);
            TestRunner.Add("paging.code_is_read_execute", &CodeRX);
            TestRunner.Add("paging.rodata_is_read_only", &RodataReadOnly);
            TestRunner.Add("paging.frozen_objects_not_executable", &FrozenObjects);
            TestRunner.Add("paging.static_data_is_read_write_no_execute", &StaticData);
            TestRunner.Add("paging.heap_is_read_write_no_execute", &HeapPages);
            TestRunner.Add("paging.image_read_only_in_direct_map", &ImageInDirectMap);
            TestRunner.Add("paging.null_page_unmapped", &NullUnmapped);
        }

        private const PageAccess RW = PageAccess.Read | PageAccess.Write;
        private const PageAccess RX = PageAccess.Read | PageAccess.Execute;

        private static PageAccess Query(ulong virt) { ulong phys; return PageTables.Query(KernelAddressSpace.Root, virt, out phys); }
        private static PageAccess Query(void* virt) => Query((ulong)virt);

        private static ulong AddressOf(object o) => (ulong)*(nint*)Unsafe.AsPointer(ref o);

        private static void RootActive(TestContext t)
        {
            t.True(KernelAddressSpace.Root != 0, "a root exists");
            t.Equal(KernelAddressSpace.ThisCpuRoot, PageTables.ActiveRoot(), "and this CPU runs on it");
            t.True(Layout.KernelStart < Layout.TextEnd && Layout.TextEnd <= Layout.RodataEnd && Layout.RodataEnd < Layout.DataEnd && Layout.DataEnd <= Layout.KernelEnd, "sections in order");
        }

        private static int Probe(int x) => x + 1;

        private static void CodeRX(TestContext t)
        {
            delegate*<int, int> f = &Probe;
            ulong a = (ulong)f;
            t.True(a >= Layout.KernelStart && a < Layout.TextEnd, "a method lives in text");
            t.True(Query(a) == RX, "text is read+execute, not write");
            t.True(Query(Layout.TextEnd - 1) == RX, "the last text page too");
            t.Equal(2, f(1), "and it runs");
        }

        // C# compiles a constant byte array behind ReadOnlySpan<byte> into RVA data: read-only data in the image.
        private static ReadOnlySpan<byte> Signature => new byte[] { 0x4D, 0x6F, 0x6C, 0x74, 0x21, 0x00, 0xFF, 0x7E };

        private static void RodataReadOnly(TestContext t)
        {
            fixed (byte* p = Signature)
            {
                ulong a = (ulong)p;
                t.True(a >= Layout.TextEnd && a < Layout.RodataEnd, "constant data lives in rodata");
                t.True(Query(a) == PageAccess.Read, "rodata is read only: not write, not execute");
                t.Equal(0x4D, p[0], "and readable");
            }
            t.True(Query(Layout.TextEnd) == PageAccess.Read, "first rodata page");
            t.True(Query(Layout.RodataEnd - 1) == PageAccess.Read, "last rodata page");
            ulong symbols = (ulong)Layout.SymbolTable;
            t.True(symbols >= Layout.DataEnd && symbols < Layout.KernelEnd, "the symbol table follows data");
            t.True(Query(symbols) == PageAccess.Read, "the symbol table is read only");
        }

        private static readonly int[] s_frozenTable = { 1, 2, 3, 4 };

        private static void FrozenObjects(TestContext t)
        {
            // ilc emits frozen objects (string literals, preinitialized readonly arrays)
            // into its .data section together with data it writes at start-up, so they are
            // mapped with the data segment: never executable.
            ulong s = AddressOf(Opaque.Ref("a frozen string literal"));
            ulong a = AddressOf(s_frozenTable);
            t.True(s >= Layout.KernelStart && s < Layout.DataEnd, "a string literal is in the image");
            // Not a heap block that happens to lie in the image (the bootstrap arena is in .bss):
            // that would mean ilc ran the class constructor lazily instead of preinitializing it.
            t.True(a >= Layout.KernelStart && a < Layout.DataEnd && !Memory.Heap.InBootstrapArena((void*)a), "a preinitialized array is frozen in the image, not a heap block");
            t.True((Query(s) & PageAccess.Execute) == 0, "a string literal is not executable");
            t.True((Query(a) & PageAccess.Execute) == 0, "a preinitialized array is not executable");
            t.True(Query(s) == (s < Layout.RodataEnd ? PageAccess.Read : RW), "a string literal has its section's access");
        }

        private static long s_counter;
        private static int s_initialized = 12345;

        private static void StaticData(TestContext t)
        {
            ulong bss = (ulong)Unsafe.AsPointer(ref s_counter);
            ulong data = (ulong)Unsafe.AsPointer(ref s_initialized);
            t.True(bss >= Layout.RodataEnd && bss < Layout.DataEnd, "a zero static lives in data/bss");
            t.True(data >= Layout.RodataEnd && data < Layout.DataEnd, "an initialized static lives in data/bss");
            t.True(Query(bss) == RW, "bss is read+write, not execute");
            t.True(Query(data) == RW, "data is read+write, not execute");
            t.True(Query(Layout.DataEnd - 1) == RW, "last data page");
            s_counter = Opaque.Long(7);
            t.Equal(7, s_counter, "and it is writable");
            t.Equal(12345, s_initialized, "initialized value");
        }

        private static void HeapPages(TestContext t)
        {
            object small = new int[4];
            t.True(Query(AddressOf(small)) == RW, "a heap object is read+write, not execute");
            byte* big = (byte*)Heap.Allocate(8192);
            ulong a = (ulong)big;
            t.True(a >= FrameAllocator.DirectMapOffset, "a large block comes from the direct map");
            t.True(Query(a) == RW && Query(a + 8000) == RW, "direct-mapped RAM is read+write, not execute");
            ulong phys;
            PageTables.Query(KernelAddressSpace.Root, a, out phys);
            t.Equal(a - FrameAllocator.DirectMapOffset, phys, "the direct map is physical + offset");
            Heap.Free(big); Heap.Free(small);
        }

        private static void ImageInDirectMap(TestContext t)
        {
            delegate*<int, int> f = &Probe;
            ulong textPhys, dataPhys;
            t.True(PageTables.Query(KernelAddressSpace.Root, (ulong)f, out textPhys) != PageAccess.None, "text is mapped");
            PageTables.Query(KernelAddressSpace.Root, (ulong)Unsafe.AsPointer(ref s_counter), out dataPhys);
            t.Equal(Kernel.Boot->KernelPhysicalBase + ((ulong)f - Layout.KernelStart), textPhys, "text maps to the image's frames");
            ulong off = FrameAllocator.DirectMapOffset;
            t.True(Query(off + textPhys) == PageAccess.Read, "kernel text has no writable or executable alias");
            t.True(Query(off + dataPhys) == PageAccess.Read, "kernel data has no second writable alias");
            t.True(Query(off + Kernel.Boot->KernelPhysicalBase) == PageAccess.Read, "first image frame read only");
        }

        private static void NullUnmapped(TestContext t)
        {
            t.True(Query(0UL) == PageAccess.None, "address 0 is unmapped");
            t.True(Query(0xFFFUL) == PageAccess.None, "the whole first page");
            t.True(Query(0x100000UL) == PageAccess.None, "physical addresses are not identity-mapped");
            t.True(Query(0x0000_7FFF_FFFF_F000UL) == PageAccess.None, "the lower half is empty");
        }
    }
}
