using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;

namespace Molt.Update.Linker
{
    /// <summary>
    /// The virtual region patches are loaded into, and its pages.
    ///
    /// Placement: right after the kernel image (a 2 MiB gap first), so every
    /// patch is within branch range of all kernel code and data:
    /// - x86-64: the kernel lives in the top 2 GiB; the region
    ///   [align2M(kernel end) + 2 MiB, +512 MiB) stays inside it, so every
    ///   PC32/PLT32 between kernel and patch fits in ±2 GiB.
    /// - AArch64: the region is 96 MiB, so its far end is within 128 MiB of
    ///   the kernel's first instruction: CALL26/JUMP26 reach without veneers
    ///   (the linker still emits veneers if a branch falls out of range).
    ///
    /// Addresses are never reused: <see cref="Reserve"/> is a bump allocator
    /// and an unloaded patch's range is retired, not returned. A MethodTable
    /// address of an unloaded patch can sit in a cast cache, a dispatch cache
    /// or an object-table type cache; because no later patch can ever get the
    /// same address, such a stale entry can never match a new type (it only
    /// wastes a slot). Frames are returned to the frame allocator on unload.
    /// Each reservation ends with an unmapped guard page.
    ///
    /// Permissions (W^X): pages are mapped read+write, never executable, while
    /// the linker writes them; then <see cref="Protect"/> makes text
    /// read+execute and read-only data read-only; data stays read+write and
    /// never executable. Changing or removing a mapping flushes this CPU's TLB
    /// and shoots down the others'.
    /// </summary>
    public static unsafe class PatchMemory
    {
        public const ulong PageSize = 4096;
        private const ulong TwoMiB = 0x200000;

        private static ulong s_base, s_limit, s_next;
        private static long s_framesInUse;

        public static ulong RegionBase { get { Setup(); return s_base; } }
        public static ulong RegionLimit { get { Setup(); return s_limit; } }
        /// <summary>Bytes of the region handed out so far (retired ranges included).</summary>
        public static ulong Reserved => s_next - s_base;
        /// <summary>Frames currently backing loaded patches.</summary>
        public static long FramesInUse => s_framesInUse;

        private static void Setup()
        {
            if (s_base != 0) return;
            ulong start = ((Layout.KernelEnd + TwoMiB - 1) & ~(TwoMiB - 1)) + TwoMiB;
#if ARCH_ARM64
            ulong size = 96UL * 1024 * 1024;
#else
            ulong size = 512UL * 1024 * 1024;
#endif
            s_base = start;
            s_limit = start + size;
            s_next = start;
        }

        public static ulong PageAlign(ulong bytes) => (bytes + PageSize - 1) & ~(PageSize - 1);

        /// <summary>Reserves <paramref name="bytes"/> (page-rounded) plus a guard page; 0 when the region is exhausted.</summary>
        public static ulong Reserve(ulong bytes)
        {
            Setup();
            ulong size = PageAlign(bytes) + PageSize;
            if (size > s_limit - s_next) return 0;
            ulong at = s_next;
            s_next += size;
            return at;
        }

        /// <summary>Backs [va, va+bytes) with fresh zeroed frames, read+write, never executable. On failure nothing stays mapped.</summary>
        public static bool MapWritable(ulong va, ulong bytes)
        {
            ulong root = KernelAddressSpace.Root;
            ulong end = va + PageAlign(bytes);
            for (ulong v = va; v < end; v += PageSize)
            {
                ulong ignored;
                ulong frame = FrameAllocator.Allocate();
                if (frame == 0 || PageTables.Query(root, v, out ignored) != PageAccess.None
                    || !PageTables.Map(root, v, frame, PageSize, PageAccess.Read | PageAccess.Write))
                {
                    if (frame != 0) FrameAllocator.Free(frame);
                    Release(va, v - va);
                    return false;
                }
                s_framesInUse++;
                byte* p = (byte*)FrameAllocator.ToVirtual(frame);
                for (ulong i = 0; i < PageSize; i += 8) *(ulong*)(p + i) = 0;
            }
            return true;
        }

        /// <summary>
        /// Changes the access of mapped 4 KiB pages: mapping a page again
        /// replaces its leaf entry (PageTables.Map never builds a block for
        /// a 4 KiB request). Then TLBs are flushed everywhere.
        /// </summary>
        public static void Protect(ulong va, ulong bytes, PageAccess access)
        {
            ulong root = KernelAddressSpace.Root;
            ulong end = va + PageAlign(bytes);
            for (ulong v = va; v < end; v += PageSize)
            {
                ulong phys;
                if (PageTables.Query(root, v, out phys) == PageAccess.None) Panic.Fail("patch memory: protecting an unmapped page");
                if (!PageTables.Map(root, v, phys & ~(PageSize - 1), PageSize, access)) Panic.Fail("patch memory: remapping a page failed");
            }
            FlushEverywhere(va, end);
        }

        /// <summary>
        /// Unmaps [va, va+bytes), flushes TLBs everywhere, then frees the
        /// frames (the addresses stay retired). Frames are freed only after
        /// no TLB can reach them through the patch mapping: until then they
        /// are chained through their first word (reached by the direct map).
        /// </summary>
        public static void Release(ulong va, ulong bytes)
        {
            ulong root = KernelAddressSpace.Root;
            ulong end = va + PageAlign(bytes);
            ulong chain = 0;
            for (ulong v = va; v < end; v += PageSize)
            {
                ulong phys;
                if (PageTables.Query(root, v, out phys) == PageAccess.None) continue;
                if (!PageTables.Unmap(root, v, PageSize)) Panic.Fail("patch memory: a block mapping inside the patch region");
                phys &= ~(PageSize - 1);
                *(ulong*)FrameAllocator.ToVirtual(phys) = chain;
                chain = phys;
            }
            if (end > va) FlushEverywhere(va, end);
            while (chain != 0)
            {
                ulong next = *(ulong*)FrameAllocator.ToVirtual(chain);
                FrameAllocator.Free(chain);
                s_framesInUse--;
                chain = next;
            }
        }

        private static void FlushEverywhere(ulong from, ulong to)
        {
            if (to - from <= 16 * PageSize)
                for (ulong v = from; v < to; v += PageSize) PageTables.FlushLocal(v);
            else PageTables.FlushLocal(~0UL);
            int cpus = Processors.Online;
            if (cpus > 1) Interprocessor.ShootDown(~0UL, cpus, PerCpu.Current()->Index);
        }
    }
}
