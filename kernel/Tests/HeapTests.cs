using System.Runtime.CompilerServices;
using Internal.Runtime;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>The kernel heap: size classes, zeroing, free and reuse, bad frees, large blocks, statistics.</summary>
    internal static unsafe class HeapTests
    {
        public static void Register()
        {
            TestRunner.Add("heap.size_class_per_request", &SizeClasses);
            TestRunner.Add("heap.object_size_from_method_table", &ObjectSizes);
            TestRunner.Add("heap.blocks_aligned_and_zeroed", &Zeroed);
            TestRunner.Add("heap.free_then_reuse", &FreeReuse);
            TestRunner.Add("heap.double_free_detected", &DoubleFree);
            TestRunner.Add("heap.bad_pointers_rejected", &BadPointers);
            TestRunner.Add("heap.large_allocation_and_free", &Large);
            TestRunner.Add("heap.large_double_free_detected", &LargeDoubleFree);
            TestRunner.Add("heap.large_array", &LargeArray);
            TestRunner.Add("heap.many_blocks_span_slabs", &ManyBlocks);
            TestRunner.Add("heap.bytes_in_use_accounting", &BytesInUse);
        }

        private static int ClassOf(uint size)
        {
            int c = 0;
            while (Heap.BlockSize(c) < size) c++;
            return c;
        }

        private static void SizeClasses(TestContext t)
        {
            uint[] sizes = { 1, 16, 17, 32, 33, 100, 1000, 2048 };
            int[] expected = { 0, 0, 1, 1, 2, 3, 6, 7 };
            for (int i = 0; i < sizes.Length; i++)
            {
                int c = expected[i];
                long before = Heap.GetStats(c).Allocations;
                void* p = Heap.Allocate(sizes[i]);
                t.True(p != null, "allocation succeeded");
                t.Equal(before + 1, Heap.GetStats(c).Allocations, "the request landed in the expected class");
                t.True(Heap.Free(p) == Heap.FreeResult.Freed, "freed");
            }
            t.Equal(16, Heap.BlockSize(0), "smallest class");
            t.Equal(2048, Heap.BlockSize(Heap.ClassCount - 1), "largest class");
            Heap.Free(sizes); Heap.Free(expected);
        }

        private sealed class Small { public int A; }
        private sealed class Medium { public long A, B, C, D, E; }
        private sealed class Big { public long A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, B0, B1, B2, B3, B4, B5, B6, B7, B8, B9; }

        private static void CheckObject(TestContext t, object o, string what)
        {
            uint baseSize = EETypes.Of(o)->_uBaseSize;
            int c = ClassOf(baseSize);
            long live = Heap.GetStats(c).LiveBlocks;
            t.True(Heap.Free(o) == Heap.FreeResult.Freed, what);
            t.Equal(live - 1, Heap.GetStats(c).LiveBlocks, what);
        }

        private static void ObjectSizes(TestContext t)
        {
            t.True(EETypes.Of<Small>()->_uBaseSize < EETypes.Of<Medium>()->_uBaseSize, "more fields, bigger base size");
            t.True(EETypes.Of<Big>()->_uBaseSize >= 8 + 20 * 8, "base size covers the MethodTable pointer and the fields");
            CheckObject(t, new Small(), "Small lives in the class its base size selects");
            CheckObject(t, new Medium(), "Medium lives in the class its base size selects");
            CheckObject(t, new Big(), "Big lives in the class its base size selects");
        }

        private static void Zeroed(TestContext t)
        {
            byte* p = (byte*)Heap.Allocate(200);
            t.True(((ulong)p & 15) == 0, "16-byte aligned");
            for (int i = 0; i < 256; i++) p[i] = 0xCD;
            Heap.Free(p);
            byte* q = (byte*)Heap.Allocate(256);
            t.True(q == p, "the same block comes back");
            bool zero = true;
            for (int i = 0; i < 256; i++) zero &= q[i] == 0;
            t.True(zero, "a reused block is zeroed again");
            Heap.Free(q);
        }

        private static void FreeReuse(TestContext t)
        {
            object a = new Medium();
            void* address = *(void**)Unsafe.AsPointer(ref a);
            int c = ClassOf(EETypes.Of(a)->_uBaseSize);
            long frees = Heap.GetStats(c).Frees;
            t.True(Heap.Free(a) == Heap.FreeResult.Freed, "first free");
            t.Equal(frees + 1, Heap.GetStats(c).Frees, "free counted");
            object b = new Medium();
            t.True(*(void**)Unsafe.AsPointer(ref b) == address, "the next allocation of the class reuses the block");
            t.Equal(0, ((Medium)b).C, "fields of the reused object are zero");
            Heap.Free(b);
        }

        private static void DoubleFree(TestContext t)
        {
            void* p = Heap.Allocate(48);
            Heap.ClassStats before = Heap.GetStats(2);
            t.True(Heap.Free(p) == Heap.FreeResult.Freed, "first free");
            t.True(Heap.Free(p) == Heap.FreeResult.DoubleFree, "second free is DoubleFree");
            t.Equal(before.Frees + 1, Heap.GetStats(2).Frees, "only one free counted");
            object o = new Small();
            Heap.Free(o);
            t.True(Heap.Free(o) == Heap.FreeResult.DoubleFree, "double free of an object");
        }

        private static void BadPointers(TestContext t)
        {
            t.True(Heap.Free((void*)null) == Heap.FreeResult.Null, "null");
            t.True(Heap.Free((object)null) == Heap.FreeResult.Null, "null object");
            byte* p = (byte*)Heap.Allocate(64);
            t.True(Heap.Free(p + 8) == Heap.FreeResult.NotHeapPointer, "interior pointer");
            ulong frame = FrameAllocator.Allocate();
            byte* page = (byte*)FrameAllocator.ToVirtual(frame);
            for (int i = 0; i < 4096; i++) page[i] = (byte)(i * 7);
            t.True(Heap.Free(page + 64) == Heap.FreeResult.NotHeapPointer, "a page the heap never owned");
            t.True(Heap.Free(Opaque.Ref("literal")) == Heap.FreeResult.NotHeapPointer, "a frozen string literal");
            int local = 5;
            t.True(Heap.Free(&local) == Heap.FreeResult.NotHeapPointer, "a stack address");
            t.True(Heap.Free(p) == Heap.FreeResult.Freed, "the real block still frees after the bad attempts");
            FrameAllocator.Free(frame);
        }

        private static void Large(TestContext t)
        {
            long largeAllocs = Heap.LargeAllocations, pages = Heap.LargePagesInUse;
            ulong frames = FrameAllocator.FreeFrames;
            byte* p = (byte*)Heap.Allocate(10000);
            t.True(p != null, "10000 bytes allocated");
            t.Equal(Heap.HeaderSize, (long)((ulong)p & 4095), "a large block starts after its page header");
            t.Equal(largeAllocs + 1, Heap.LargeAllocations, "counted as large");
            t.Equal(pages + 3, Heap.LargePagesInUse, "10000 bytes plus the header take 3 pages");
            t.Equal(frames - 3, FrameAllocator.FreeFrames, "3 frames taken");
            bool zero = true;
            for (int i = 0; i < 10000; i++) { zero &= p[i] == 0; p[i] = (byte)i; }
            t.True(zero, "zeroed");
            t.Equal(9999 & 0xFF, p[9999], "the whole block is writable");
            t.True(Heap.Free(p + 16) == Heap.FreeResult.NotHeapPointer, "interior pointer into a large block");
            t.True(Heap.Free(p) == Heap.FreeResult.Freed, "freed");
            t.Equal(pages, Heap.LargePagesInUse, "pages returned");
            t.Equal(frames, FrameAllocator.FreeFrames, "frames returned to the frame allocator");
        }

        private static void LargeDoubleFree(TestContext t)
        {
            void* p = Heap.Allocate(5000);
            long pages = Heap.LargePagesInUse;
            t.True(Heap.Free(p) == Heap.FreeResult.Freed, "first free");
            t.True(Heap.Free(p) == Heap.FreeResult.DoubleFree, "second free is DoubleFree");
            t.Equal(pages - 2, Heap.LargePagesInUse, "pages released once");
        }

        private static void LargeArray(TestContext t)
        {
            long largeAllocs = Heap.LargeAllocations;
            var big = new long[Opaque.Int(1000)];
            t.Equal(largeAllocs + 1, Heap.LargeAllocations, "an 8000-byte array is a large allocation");
            big[999] = -1;
            t.Equal(-1, big[999], "last element");
            t.Equal(0, big[500], "zeroed");
            t.True(Heap.Free(big) == Heap.FreeResult.Freed, "freed");
        }

        private static void ManyBlocks(TestContext t)
        {
            const int N = 600; // more than two 16-byte slabs hold (252 each)
            void** blocks = (void**)Heap.Allocate(N * 8);
            Heap.ClassStats before = Heap.GetStats(0);
            bool ok = true;
            for (int i = 0; i < N; i++)
            {
                byte* b = (byte*)Heap.Allocate(16);
                ok &= b != null && ((ulong)b & 15) == 0;
                *(int*)b = i;
                blocks[i] = b;
            }
            t.True(ok, "all allocated and aligned");
            bool intact = true;
            for (int i = 0; i < N; i++) intact &= *(int*)blocks[i] == i;
            t.True(intact, "no two blocks overlap");
            Heap.ClassStats mid = Heap.GetStats(0);
            t.Equal(before.LiveBlocks + N, mid.LiveBlocks, "live blocks counted");
            t.True(mid.Pages >= 3, "several slabs in use");
            for (int i = 0; i < N; i++) Heap.Free(blocks[i]);
            t.Equal(before.LiveBlocks, Heap.GetStats(0).LiveBlocks, "all returned");
            Heap.Free(blocks);
        }

        private static void BytesInUse(TestContext t)
        {
            long before = Heap.BytesInUse;
            void* a = Heap.Allocate(100);   // 128-byte block
            void* b = Heap.Allocate(3000);  // one page
            t.Equal(before + 128 + 4096, Heap.BytesInUse, "block sizes and pages are counted");
            Heap.Free(a);
            t.Equal(before + 4096, Heap.BytesInUse, "small free");
            Heap.Free(b);
            t.Equal(before, Heap.BytesInUse, "back to where it was");
        }
    }
}
