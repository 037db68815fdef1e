using System.Runtime.InteropServices;
using Molt.Diagnostics;

namespace Molt.Memory
{
    /// <summary>
    /// The kernel heap, with explicit free and no collector.
    ///
    /// Small blocks (up to 2048 bytes) come from slabs: a 4 KiB page holding
    /// blocks of one size class (16, 32, ... 2048), with a 64-byte header that
    /// records the class, a magic word, and a bitmap of allocated blocks.
    /// Larger blocks take whole pages with the same header in front.
    /// Blocks are zeroed on allocation, as C# expects of new objects.
    ///
    /// Ownership: whoever allocates a block frees it, once, with
    /// <see cref="Free(object)"/> or <see cref="Free(void*)"/>. Freeing twice,
    /// or freeing a pointer the heap never gave out, is detected by the
    /// bitmap and magic word and reported as <see cref="FreeResult"/>.
    ///
    /// Pages come from a 512 KiB bootstrap arena in .bss until the frame
    /// allocator is attached, so module initialisation can allocate statics
    /// before the memory map has been read. Single-CPU for now.
    /// </summary>
    public static unsafe class Heap
    {
        public const int PageSize = 4096;
        public const int HeaderSize = 64;
        public const int MaxSmall = 2048;
        public const int ClassCount = 8;
        private const uint SlabMagic = 0x42414C53;  // "SLAB"
        private const uint LargeMagic = 0x4752414C; // "LARG"
        private const uint FreedLargeMagic = 0x45455246; // "FREE": a large block's first page after its free
        private const int BootstrapPages = 128;

        public enum FreeResult { Freed, Null, NotHeapPointer, DoubleFree }

        [StructLayout(LayoutKind.Sequential)]
        private struct PageHeader
        {
            public uint Magic;
            public int SizeClass;        // index for slabs; page count for large blocks
            public int FreeCount;
            public int Capacity;
            public PageHeader* Next;     // next slab of this class with free blocks
            public ulong Reserved;
            public fixed ulong Allocated[4]; // 256 bits: enough for 16-byte blocks in one page
        }

        public struct ClassStats
        {
            public int BlockSize;
            public long Allocations;
            public long Frees;
            public long LiveBlocks;
            public long Pages;
        }

        [StructLayout(LayoutKind.Sequential, Size = BootstrapPages * PageSize + PageSize)]
        private struct BootstrapArena { public byte First; }

        private static BootstrapArena s_arena;
        private static int s_arenaUsed;
        private static bool s_framesAttached;
        private struct ClassTable
        {
            public fixed long Allocations[ClassCount];
            public fixed long Frees[ClassCount];
            public fixed long Pages[ClassCount];
            public fixed ulong Partial[ClassCount]; // PageHeader*: slabs of the class with a free block
        }

        private static ClassTable s_classes;
        private static long s_largeAllocations, s_largeFrees, s_largePages;
        private static long s_bytesInUse;
        private static delegate*<uint, void> s_onExhausted;

        public static long BytesInUse => s_bytesInUse;
        public static long LargeAllocations => s_largeAllocations;
        public static long LargePagesInUse => s_largePages;

        public static int BlockSize(int sizeClass) => 16 << sizeClass;

        /// <summary>From now on pages come from the frame allocator (reached through its direct map).</summary>
        public static void AttachFrameAllocator() => s_framesAttached = true;

        private static PageHeader* GetPartial(int c) => (PageHeader*)s_classes.Partial[c];
        private static void SetPartial(int c, PageHeader* h) => s_classes.Partial[c] = (ulong)h;

        private static int ClassFor(uint size)
        {
            int c = 0;
            while ((16u << c) < size) c++;
            return c;
        }

        private static byte* AllocatePages(int count)
        {
            if (!s_framesAttached)
            {
                byte* arena = (byte*)(((ulong)System.Runtime.CompilerServices.Unsafe.AsPointer(ref s_arena.First) + PageSize - 1) & ~(ulong)(PageSize - 1));
                if (s_arenaUsed + count > BootstrapPages) return null;
                byte* p = arena + (long)s_arenaUsed * PageSize;
                s_arenaUsed += count;
                return p;
            }
            ulong phys = FrameAllocator.AllocateContiguous((ulong)count);
            if (phys == 0) return null;
            return (byte*)FrameAllocator.ToVirtual(phys);
        }

        private static bool IsBootstrapPage(byte* page)
        {
            byte* start = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref s_arena.First);
            return page >= start && page < start + BootstrapPages * PageSize + PageSize;
        }

        private static void FreePages(byte* p, int count)
        {
            if (IsBootstrapPage(p)) return; // bootstrap pages stay with the heap for good
            FrameAllocator.Free(FrameAllocator.ToPhysical(p), (ulong)count);
        }

        private static void Zero(byte* p, ulong n)
        {
            ulong i = 0;
            for (; i + 8 <= n; i += 8) *(ulong*)(p + i) = 0;
            for (; i < n; i++) p[i] = 0;
        }

        /// <summary>Allocates <paramref name="size"/> zeroed bytes, 16-byte aligned; returns null when memory is exhausted.</summary>
        public static void* Allocate(uint size)
        {
            if (size == 0) size = 1;
            if (size > MaxSmall) return AllocateLarge(size);
            int c = ClassFor(size);
            if (GetPartial(c) == null)
            {
                byte* page = AllocatePages(1);
                if (page == null) return null;
                var h = (PageHeader*)page;
                Zero(page, HeaderSize);
                h->Magic = SlabMagic;
                h->SizeClass = c;
                h->Capacity = (PageSize - HeaderSize) / BlockSize(c);
                h->FreeCount = h->Capacity;
                SetPartial(c, h);
                s_classes.Pages[c]++;
            }
            PageHeader* slab = GetPartial(c);
            int index = 0;
            for (int w = 0; w < 4; w++)
            {
                ulong bits = slab->Allocated[w];
                if (bits == ~0UL) continue;
                int b = 0;
                while ((bits & (1UL << b)) != 0) b++;
                index = w * 64 + b;
                break;
            }
            slab->Allocated[index / 64] |= 1UL << (index % 64);
            if (--slab->FreeCount == 0) { SetPartial(c, slab->Next); slab->Next = null; }
            byte* block = (byte*)slab + HeaderSize + index * BlockSize(c);
            Zero(block, (ulong)BlockSize(c));
            s_classes.Allocations[c]++;
            s_bytesInUse += BlockSize(c);
            return block;
        }

        private static void* AllocateLarge(uint size)
        {
            int pages = (int)((size + HeaderSize + PageSize - 1) / PageSize);
            byte* p = AllocatePages(pages);
            if (p == null) return null;
            Zero(p, (ulong)pages * PageSize);
            var h = (PageHeader*)p;
            h->Magic = LargeMagic;
            h->SizeClass = pages;
            h->Allocated[0] = 1;
            s_largeAllocations++;
            s_largePages += pages;
            s_bytesInUse += (long)pages * PageSize;
            return p + HeaderSize;
        }

        /// <summary>Allocates or panics with the size asked for: the path <c>new</c> takes.</summary>
        public static void* AllocateOrPanic(uint size)
        {
            void* p = Allocate(size);
            if (p == null)
            {
                if (s_onExhausted != null) s_onExhausted(size);
                Panic.OutOfMemory(size, s_bytesInUse, FrameAllocator.FreeFrames);
            }
            return p;
        }

        /// <summary>Frees an object made with <c>new</c>. The caller must hold no other reference to it.</summary>
        public static FreeResult Free(object obj) => Free((void*)System.Runtime.CompilerServices.Unsafe.As<object, nint>(ref obj));

        /// <summary>Frees a block. A bad pointer or a second free changes nothing and says so.</summary>
        public static FreeResult Free(void* block)
        {
            if (block == null) return FreeResult.Null;
            byte* page = (byte*)((ulong)block & ~(ulong)(PageSize - 1));
            var h = (PageHeader*)page;
            if (h->Magic == LargeMagic)
            {
                if ((byte*)block != page + HeaderSize) return FreeResult.NotHeapPointer;
                if (h->Allocated[0] == 0) return FreeResult.DoubleFree;
                h->Allocated[0] = 0;
                int pages = h->SizeClass;
                s_largeFrees++;
                s_largePages -= pages;
                s_bytesInUse -= (long)pages * PageSize;
                // Mark the header so a second free of the same pointer reads as DoubleFree
                // for as long as nobody reuses the page (a new owner overwrites or zeroes it).
                h->Magic = FreedLargeMagic;
                FreePages(page, pages);
                return FreeResult.Freed;
            }
            if (h->Magic == FreedLargeMagic)
                return (byte*)block == page + HeaderSize ? FreeResult.DoubleFree : FreeResult.NotHeapPointer;
            if (h->Magic != SlabMagic) return FreeResult.NotHeapPointer;
            int c = h->SizeClass;
            long offset = (byte*)block - page - HeaderSize;
            if (offset < 0 || offset % BlockSize(c) != 0) return FreeResult.NotHeapPointer;
            int index = (int)(offset / BlockSize(c));
            if (index >= h->Capacity) return FreeResult.NotHeapPointer;
            ulong mask = 1UL << (index % 64);
            if ((h->Allocated[index / 64] & mask) == 0) return FreeResult.DoubleFree;
            h->Allocated[index / 64] &= ~mask;
            if (h->FreeCount++ == 0)
            {
                h->Next = GetPartial(c);
                SetPartial(c, h);
            }
            s_classes.Frees[c]++;
            s_bytesInUse -= BlockSize(c);
            return FreeResult.Freed;
        }

        public static ClassStats GetStats(int sizeClass)
        {
            ClassStats s;
            s.BlockSize = BlockSize(sizeClass);
            s.Allocations = s_classes.Allocations[sizeClass];
            s.Frees = s_classes.Frees[sizeClass];
            s.LiveBlocks = s.Allocations - s.Frees;
            s.Pages = s_classes.Pages[sizeClass];
            return s;
        }

        /// <summary>Installs a hook run just before an out-of-memory panic (tests use it to observe exhaustion).</summary>
        public static void SetExhaustedHook(delegate*<uint, void> hook) => s_onExhausted = hook;

        public static void WriteStats()
        {
            Console.Log.Info("heap", $"{s_bytesInUse} bytes in use, {s_largeAllocations - s_largeFrees} large blocks ({s_largePages} pages)");
            for (int c = 0; c < ClassCount; c++)
            {
                ClassStats s = GetStats(c);
                if (s.Allocations == 0) continue;
                Console.Log.Info("heap", $"  class {s.BlockSize,4}: {s.Allocations} allocs, {s.Frees} frees, {s.LiveBlocks} live, {s.Pages} pages");
            }
        }
    }
}
