using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Molt.Diagnostics;

namespace Molt.Memory
{
    /// <summary>
    /// The kernel heap, with explicit free and no collector.
    ///
    /// Small blocks (up to 2048 bytes) live in slabs: 4 KiB pages holding
    /// blocks of one size class (16, 32, ... 2048) after a 128-byte header
    /// with the class, a magic word, a free list, and an "owned" bitmap with
    /// one bit per block that is set while the block belongs to a caller.
    /// Larger blocks take whole pages with the same header in front.
    ///
    /// Each CPU keeps a magazine of free blocks per class
    /// (<see cref="Magazines"/>): allocation and free take blocks from and
    /// give them to it with interrupts off and no lock. Only refilling an
    /// empty magazine or draining a full one takes the global slab lock, in
    /// batches. A block freed on one CPU goes into that CPU's magazine.
    ///
    /// Ownership: whoever allocates a block frees it, once, with
    /// <see cref="Free(object)"/> or <see cref="Free(void*)"/>. Blocks are
    /// zeroed on allocation, as C# expects of new objects. Freeing twice, or
    /// freeing a pointer the heap never gave out, is detected (owned bit,
    /// magic word, block alignment) and reported as a <see cref="FreeResult"/>,
    /// changing nothing.
    ///
    /// Pages come from a 512 KiB bootstrap arena in .bss until the frame
    /// allocator is attached, so module initialisation can allocate statics
    /// before the memory map is read. Until the per-CPU blocks exist
    /// (<see cref="EnablePerCpuCaches"/>) every call takes the slab lock.
    /// </summary>
    public static unsafe class Heap
    {
        public const int PageSize = 4096;
        public const int HeaderSize = 128;
        public const int MaxSmall = 2048;
        public const int ClassCount = 8;
        internal const uint SlabMagic = 0x42414C53;  // "SLAB"
        private const uint LargeMagic = 0x4752414C; // "LARG"
        private const uint FreedLargeMagic = 0x45455246; // "FREE": a large block's first page after its free
        private const int BootstrapPages = 128;

        public enum FreeResult { Freed, Null, NotHeapPointer, DoubleFree }

        [StructLayout(LayoutKind.Sequential)]
        internal struct PageHeader
        {
            public uint Magic;
            public int SizeClass;        // index for slabs; page count for large blocks
            public int FreeCount;        // blocks on FreeList
            public int Capacity;
            public PageHeader* Next;     // next slab of this class with free blocks
            public void* FreeList;       // free blocks, linked through their first word
            public fixed ulong Owned[4]; // 256 bits: set while a caller owns the block
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

        private struct ClassTable
        {
            public fixed long Allocations[ClassCount];
            public fixed long Frees[ClassCount];
            public fixed long Pages[ClassCount];
            public fixed ulong Partial[ClassCount]; // PageHeader*: slabs of the class with a free block
        }

        private static BootstrapArena s_arena;
        private static int s_arenaUsed;
        private static bool s_framesAttached;
        private static bool s_perCpu;
        private static ClassTable s_classes;
        private static Threading.SpinLock s_lock;
        private static long s_largeAllocations, s_largeFrees, s_largePages;
        private static long s_bytesInUse;

        /// <summary>Bytes handed to callers and not yet freed (small blocks count their full class size).</summary>
        public static long BytesInUse => Volatile.Read(in s_bytesInUse) + Magazines.BytesInUseDelta();
        public static long LargeAllocations => s_largeAllocations;
        public static long LargePagesInUse => s_largePages;
        public static ulong SlabLockContention => s_lock.Contended;

        public static int BlockSize(int sizeClass) => 16 << sizeClass;

        /// <summary>From now on pages come from the frame allocator (reached through its direct map).</summary>
        public static void AttachFrameAllocator() => s_framesAttached = true;

        /// <summary>From now on small blocks go through per-CPU magazines. Every CPU must install its per-CPU block before allocating.</summary>
        public static void EnablePerCpuCaches() => s_perCpu = true;

        private static PageHeader* GetPartial(int c) => (PageHeader*)s_classes.Partial[c];
        private static void SetPartial(int c, PageHeader* h) => s_classes.Partial[c] = (ulong)h;

        internal static int ClassFor(uint size)
        {
            int c = 0;
            while ((16u << c) < size) c++;
            return c;
        }

        private static byte* AllocatePages(int count)
        {
            if (!s_framesAttached)
            {
                byte* arena = (byte*)(((ulong)Unsafe.AsPointer(ref s_arena.First) + PageSize - 1) & ~(ulong)(PageSize - 1));
                if (s_arenaUsed + count > BootstrapPages) return null;
                byte* p = arena + (long)s_arenaUsed * PageSize;
                s_arenaUsed += count;
                return p;
            }
            ulong phys = FrameAllocator.AllocateContiguous((ulong)count);
            if (phys == 0) return null;
            return (byte*)FrameAllocator.ToVirtual(phys);
        }

        /// <summary>
        /// True for an address in the bootstrap arena: heap memory that lies inside the
        /// kernel image (.bss), so a test asking "is this object frozen in the image"
        /// must exclude it (an object allocated there is in the image's range by chance).
        /// </summary>
        public static bool InBootstrapArena(void* p) => IsBootstrapPage((byte*)p);

        private static bool IsBootstrapPage(byte* page)
        {
            byte* start = (byte*)Unsafe.AsPointer(ref s_arena.First);
            return page >= start && page < start + BootstrapPages * PageSize + PageSize;
        }

        internal static void Zero(byte* p, ulong n)
        {
            ulong i = 0;
            for (; i + 8 <= n; i += 8) *(ulong*)(p + i) = 0;
            for (; i < n; i++) p[i] = 0;
        }

        /// <summary>Allocates <paramref name="size"/> zeroed bytes, 16-byte aligned; returns null when memory is exhausted.</summary>
        public static void* Allocate(uint size)
        {
            if (size > MaxSmall) return AllocateLarge(size);
            int c = ClassFor(size == 0 ? 1 : size);
            void* block = s_perCpu ? Magazines.Take(c) : TakeOneLocked(c);
            if (block == null) return null;
            if (!MarkOwned(block, true)) Panic.Fail("heap corruption: a free block was already owned");
            Zero((byte*)block, (ulong)BlockSize(c));
            if (!s_perCpu) { s_classes.Allocations[c]++; Interlocked.Add(ref s_bytesInUse, BlockSize(c)); }
            return block;
        }

        private static void* TakeOneLocked(int c)
        {
            void* one;
            bool irq = s_lock.Acquire();
            int n = TakeBatchLocked(c, &one, 1);
            s_lock.Release(irq);
            return n == 1 ? one : null;
        }

        /// <summary>Moves up to <paramref name="max"/> free blocks of class <paramref name="c"/> into <paramref name="output"/>. Caller holds the slab lock.</summary>
        private static int TakeBatchLocked(int c, void** output, int max)
        {
            int n = 0;
            while (n < max)
            {
                PageHeader* slab = GetPartial(c);
                if (slab == null)
                {
                    slab = NewSlab(c);
                    if (slab == null) break;
                }
                while (n < max && slab->FreeList != null)
                {
                    void* b = slab->FreeList;
                    slab->FreeList = *(void**)b;
                    slab->FreeCount--;
                    output[n++] = b;
                }
                if (slab->FreeList == null) { SetPartial(c, slab->Next); slab->Next = null; }
            }
            return n;
        }

        private static PageHeader* NewSlab(int c)
        {
            byte* page = AllocatePages(1);
            if (page == null) return null;
            var h = (PageHeader*)page;
            Zero(page, HeaderSize);
            h->Magic = SlabMagic;
            h->SizeClass = c;
            h->Capacity = (PageSize - HeaderSize) / BlockSize(c);
            h->FreeCount = h->Capacity;
            byte* first = page + HeaderSize;
            for (int i = h->Capacity - 1; i >= 0; i--)
            {
                void* b = first + i * BlockSize(c);
                *(void**)b = h->FreeList;
                h->FreeList = b;
            }
            h->Next = GetPartial(c);
            SetPartial(c, h);
            s_classes.Pages[c]++;
            return h;
        }

        /// <summary>Returns <paramref name="count"/> free blocks to their slabs. Caller holds the slab lock.</summary>
        private static void GiveBackLocked(void** blocks, int count)
        {
            for (int i = 0; i < count; i++)
            {
                var h = (PageHeader*)((ulong)blocks[i] & ~(ulong)(PageSize - 1));
                *(void**)blocks[i] = h->FreeList;
                h->FreeList = blocks[i];
                if (h->FreeCount++ == 0)
                {
                    h->Next = GetPartial(h->SizeClass);
                    SetPartial(h->SizeClass, h);
                }
            }
        }

        internal static int RefillBatch(int c, void** output, int max)
        {
            bool irq = s_lock.Acquire();
            int n = TakeBatchLocked(c, output, max);
            s_lock.Release(irq);
            return n;
        }

        internal static void DrainBatch(void** blocks, int count)
        {
            bool irq = s_lock.Acquire();
            GiveBackLocked(blocks, count);
            s_lock.Release(irq);
        }

        /// <summary>Sets or clears a block's owned bit atomically; false if it already had that value.</summary>
        private static bool MarkOwned(void* block, bool owned)
        {
            var h = (PageHeader*)((ulong)block & ~(ulong)(PageSize - 1));
            int index = (int)(((byte*)block - (byte*)h - HeaderSize) / BlockSize(h->SizeClass));
            long* word = (long*)&h->Owned[0] + index / 64;
            long bit = 1L << (index % 64);
            while (true)
            {
                long old = Volatile.Read(in *word);
                if (((old & bit) != 0) == owned) return false;
                long updated = owned ? old | bit : old & ~bit;
                if (Interlocked.CompareExchange(ref *word, updated, old) == old) return true;
            }
        }

        private static void* AllocateLarge(uint size)
        {
            int pages = (int)((size + HeaderSize + PageSize - 1) / PageSize);
            bool irq = s_lock.Acquire();
            byte* p = AllocatePages(pages);
            if (p != null)
            {
                s_largeAllocations++;
                s_largePages += pages;
            }
            s_lock.Release(irq);
            if (p == null) return null;
            Zero(p, (ulong)pages * PageSize);
            var h = (PageHeader*)p;
            h->Magic = LargeMagic;
            h->SizeClass = pages;
            h->Owned[0] = 1;
            Interlocked.Add(ref s_bytesInUse, (long)pages * PageSize);
            return p + HeaderSize;
        }

        /// <summary>Allocates or panics with the size asked for: the path <c>new</c> takes.</summary>
        public static void* AllocateOrPanic(uint size)
        {
            void* p = Allocate(size);
            if (p == null)
            {
                Panic.OutOfMemory(size, BytesInUse, FrameAllocator.FreeFrames);
            }
            return p;
        }

        /// <summary>Frees an object made with <c>new</c>. The caller must hold no other reference to it.</summary>
        public static FreeResult Free(object obj) => Free((void*)ObjectRef.AddressOf(obj));

        /// <summary>Frees a block. A bad pointer or a second free changes nothing and says so.</summary>
        public static FreeResult Free(void* block)
        {
            if (block == null) return FreeResult.Null;
            byte* page = (byte*)((ulong)block & ~(ulong)(PageSize - 1));
            var h = (PageHeader*)page;
            if (h->Magic == LargeMagic) return FreeLarge(h, block);
            if (h->Magic == FreedLargeMagic)
                return (byte*)block == page + HeaderSize ? FreeResult.DoubleFree : FreeResult.NotHeapPointer;
            if (h->Magic != SlabMagic) return FreeResult.NotHeapPointer;
            int c = h->SizeClass;
            if ((uint)c >= ClassCount) return FreeResult.NotHeapPointer;
            long offset = (byte*)block - page - HeaderSize;
            if (offset < 0 || offset % BlockSize(c) != 0 || offset / BlockSize(c) >= h->Capacity) return FreeResult.NotHeapPointer;
            if (!MarkOwned(block, false)) return FreeResult.DoubleFree;
            if (s_perCpu) Magazines.Put(c, block);
            else
            {
                bool irq = s_lock.Acquire();
                GiveBackLocked(&block, 1);
                s_classes.Frees[c]++;
                s_lock.Release(irq);
                Interlocked.Add(ref s_bytesInUse, -BlockSize(c));
            }
            return FreeResult.Freed;
        }

        private static FreeResult FreeLarge(PageHeader* h, void* block)
        {
            if ((byte*)block != (byte*)h + HeaderSize) return FreeResult.NotHeapPointer;
            if (Interlocked.CompareExchange(ref *(long*)&h->Owned[0], 0, 1) != 1) return FreeResult.DoubleFree;
            int pages = h->SizeClass;
            // A second free of the same pointer reads as DoubleFree for as long
            // as nobody reuses the page (a new owner overwrites or zeroes it).
            h->Magic = FreedLargeMagic;
            bool irq = s_lock.Acquire();
            s_largeFrees++;
            s_largePages -= pages;
            s_lock.Release(irq);
            Interlocked.Add(ref s_bytesInUse, -(long)pages * PageSize);
            if (!IsBootstrapPage((byte*)h)) FrameAllocator.Free(FrameAllocator.ToPhysical(h), (ulong)pages);
            return FreeResult.Freed;
        }

        public static ClassStats GetStats(int sizeClass)
        {
            ClassStats s;
            s.BlockSize = BlockSize(sizeClass);
            s.Allocations = s_classes.Allocations[sizeClass] + Magazines.Allocations(sizeClass);
            s.Frees = s_classes.Frees[sizeClass] + Magazines.Frees(sizeClass);
            s.LiveBlocks = s.Allocations - s.Frees;
            s.Pages = s_classes.Pages[sizeClass];
            return s;
        }


        public static void WriteStats()
        {
            Console.Log.Info("heap", $"{BytesInUse} bytes in use, {s_largeAllocations - s_largeFrees} large blocks ({s_largePages} pages)");
            for (int c = 0; c < ClassCount; c++)
            {
                ClassStats s = GetStats(c);
                if (s.Allocations == 0) continue;
                Console.Log.Info("heap", $"  class {s.BlockSize,4}: {s.Allocations} allocs, {s.Frees} frees, {s.LiveBlocks} live, {s.Pages} pages");
            }
        }
    }
}
