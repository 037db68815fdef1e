using Molt.Boot;

namespace Molt.Memory
{
    /// <summary>
    /// The physical frame allocator: one bit per 4 KiB frame up to the highest
    /// usable address, set when the frame is taken. Built from the boot memory
    /// map; only regions the map calls usable are ever handed out, minus the
    /// first MiB (firmware and real-mode trampolines) and the bitmap itself.
    /// Frames are returned with <see cref="Free"/>; freeing a frame that is not
    /// allocated is reported and ignored.
    /// Safe on every CPU: one spinlock guards the bitmap (allocation is not
    /// on any hot path; the heap caches pages per CPU).
    /// </summary>
    public static unsafe class FrameAllocator
    {
        public const ulong FrameSize = 4096;
        private const ulong LowReserved = 0x100000;

        private static ulong* s_bitmap;
        private static ulong s_frameCount;
        private static ulong s_freeFrames;
        private static ulong s_totalUsable;
        private static ulong s_searchHint;
        private static ulong s_directMap;
        private static Threading.SpinLock s_lock;

        public static ulong FreeFrames => s_freeFrames;
        public static ulong TotalFrames => s_totalUsable;
        public static ulong DirectMapOffset => s_directMap;

        /// <summary>Builds the bitmap. Returns false when no usable region can hold it.</summary>
        public static bool Initialize(BootInfo* info)
        {
            s_directMap = info->DirectMapOffset;
            ulong top = 0;
            for (uint i = 0; i < info->RegionCount; i++)
            {
                MemoryRegion* r = info->Regions + i;
                if (r->Kind == MemoryKind.Usable && r->Base + r->Length > top) top = r->Base + r->Length;
            }
            s_frameCount = top / FrameSize;
            ulong bitmapBytes = ((s_frameCount + 63) / 64) * 8;
            // The lowest place that fits, not the first region listed: until the
            // kernel's page tables are up, PVH and Multiboot2 reach only the first
            // 4 GiB through the direct map, and the list's order depends on how the
            // boot code split regions (GRUB with 8 GiB put one above 4 GiB first).
            ulong bitmapPhys = 0;
            for (uint i = 0; i < info->RegionCount; i++)
            {
                MemoryRegion* r = info->Regions + i;
                ulong start = AlignUp(r->Base < LowReserved ? LowReserved : r->Base);
                ulong end = r->Base + r->Length;
                if (r->Kind == MemoryKind.Usable && end > start && end - start >= bitmapBytes && (bitmapPhys == 0 || start < bitmapPhys))
                    bitmapPhys = start;
            }
            if (bitmapPhys == 0) return false;
            s_bitmap = (ulong*)(bitmapPhys + s_directMap);
            for (ulong i = 0; i < bitmapBytes / 8; i++) s_bitmap[i] = ~0UL;
            s_freeFrames = 0;
            for (uint i = 0; i < info->RegionCount; i++)
            {
                MemoryRegion* r = info->Regions + i;
                if (r->Kind != MemoryKind.Usable) continue;
                ulong start = AlignUp(r->Base < LowReserved ? LowReserved : r->Base);
                ulong end = (r->Base + r->Length) & ~(FrameSize - 1);
                for (ulong a = start; a < end; a += FrameSize)
                {
                    if (a >= bitmapPhys && a < bitmapPhys + bitmapBytes) continue;
                    Clear(a / FrameSize);
                    s_freeFrames++;
                }
            }
            s_totalUsable = s_freeFrames;
            return true;
        }

        private static ulong AlignUp(ulong v) => (v + FrameSize - 1) & ~(FrameSize - 1);
        private static bool IsSet(ulong frame) => (s_bitmap[frame / 64] & (1UL << (int)(frame % 64))) != 0;
        private static void Set(ulong frame) => s_bitmap[frame / 64] |= 1UL << (int)(frame % 64);
        private static void Clear(ulong frame) => s_bitmap[frame / 64] &= ~(1UL << (int)(frame % 64));

        /// <summary>Allocates one frame; returns its physical address, or 0 when memory is exhausted.</summary>
        public static ulong Allocate() => AllocateContiguous(1);

        /// <summary>Allocates <paramref name="count"/> physically contiguous frames; 0 when none fit.</summary>
        public static ulong AllocateContiguous(ulong count)
        {
            bool irq = s_lock.Acquire();
            ulong result = AllocateLocked(count);
            s_lock.Release(irq);
            return result;
        }

        private static ulong AllocateLocked(ulong count)
        {
            if (count == 0 || count > s_freeFrames) return 0;
            for (int pass = 0; pass < 2; pass++)
            {
                ulong start = pass == 0 ? s_searchHint : 0;
                ulong run = 0;
                for (ulong f = start; f < s_frameCount; f++)
                {
                    if (run == 0 && (f & 63) == 0 && s_bitmap[f / 64] == ~0UL && f + 64 <= s_frameCount) { f += 63; continue; }
                    if (IsSet(f)) { run = 0; continue; }
                    run++;
                    if (run == count)
                    {
                        ulong first = f + 1 - count;
                        for (ulong g = first; g <= f; g++) Set(g);
                        s_freeFrames -= count;
                        s_searchHint = f + 1;
                        return first * FrameSize;
                    }
                }
            }
            return 0;
        }

        /// <summary>Returns frames; returns false (and changes nothing) if any was not allocated.</summary>
        public static bool Free(ulong physical, ulong count = 1)
        {
            bool irq = s_lock.Acquire();
            bool ok = FreeLocked(physical, count);
            s_lock.Release(irq);
            return ok;
        }

        private static bool FreeLocked(ulong physical, ulong count)
        {
            if ((physical & (FrameSize - 1)) != 0) return false;
            ulong first = physical / FrameSize;
            if (first + count > s_frameCount) return false;
            for (ulong f = first; f < first + count; f++)
                if (!IsSet(f)) return false;
            for (ulong f = first; f < first + count; f++) Clear(f);
            s_freeFrames += count;
            if (first < s_searchHint) s_searchHint = first;
            return true;
        }

        public static bool IsAllocated(ulong physical) => IsSet(physical / FrameSize);

        public static void* ToVirtual(ulong physical) => (void*)(physical + s_directMap);
        public static ulong ToPhysical(void* virt) => (ulong)virt - s_directMap;

        /// <summary>Changes the offset through which frames are reached, after paging moves the direct map.</summary>
        public static void MoveDirectMap(ulong newOffset)
        {
            s_bitmap = (ulong*)((ulong)s_bitmap - s_directMap + newOffset);
            s_directMap = newOffset;
        }
    }
}
