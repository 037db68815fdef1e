using System.Runtime.InteropServices;
using Molt.Memory;

namespace Molt.Hal
{
    public static unsafe partial class PageTables
    {
        // Architectural bits only (VMSAv8-64, 4 KiB granule): valid, table (vs block), output address.
        private const ulong UnmapValid = 1, UnmapTable = 2, UnmapAddress = 0x0000FFFFFFFFF000;

        public static partial bool Unmap(ulong root, ulong virt, ulong size)
        {
            for (ulong v = virt & ~0xFFFUL; v < virt + size; v += 4096)
            {
                ulong* table = (ulong*)FrameAllocator.ToVirtual(root & UnmapAddress);
                bool skip = false;
                for (int level = 3; level >= 1; level--)
                {
                    ulong e = table[(v >> (12 + 9 * level)) & 511];
                    if ((e & UnmapValid) == 0) { skip = true; break; }
                    if ((e & UnmapTable) == 0) return false; // a block
                    table = (ulong*)FrameAllocator.ToVirtual(e & UnmapAddress);
                }
                if (!skip) table[(v >> 12) & 511] = 0;
            }
            molt_store_barrier_ish();
            return true;
        }

        [DllImport("*"), SuppressGCTransition] private static extern void molt_store_barrier_ish();
    }

    /// <summary>
    /// AArch64 instruction fetch is not coherent with data stores: clean the
    /// data cache to the point of unification (DC CVAU), then invalidate the
    /// instruction cache (IC IVAU), both broadcast to the inner shareable
    /// domain, with DSB ISH between and an ISB at the end (hal-arm64/codecache.S).
    /// Other CPUs reach the new code only after an exception return or a
    /// context switch, which synchronizes their instruction stream.
    /// </summary>
    public static unsafe partial class CodeCache
    {
        [DllImport("*"), SuppressGCTransition] private static extern void molt_sync_icache(void* start, ulong size);

        public static partial void Synchronize(void* start, ulong size) => molt_sync_icache(start, size);
    }
}
