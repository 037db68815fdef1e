using Molt.Memory;

namespace Molt.Hal
{
    public static unsafe partial class PageTables
    {
        // Architectural bits only (Intel SDM vol. 3, 4.5): present, page size, address.
        private const ulong UnmapPresent = 1, UnmapPageSize = 0x80, UnmapAddress = 0x000FFFFFFFFFF000;

        public static partial bool Unmap(ulong root, ulong virt, ulong size)
        {
            for (ulong v = virt & ~0xFFFUL; v < virt + size; v += 4096)
            {
                ulong* table = (ulong*)FrameAllocator.ToVirtual(root & UnmapAddress);
                bool skip = false;
                for (int level = 3; level >= 1; level--)
                {
                    ulong e = table[(v >> (12 + 9 * level)) & 511];
                    if ((e & UnmapPresent) == 0) { skip = true; break; }
                    if (level <= 2 && (e & UnmapPageSize) != 0) return false;
                    table = (ulong*)FrameAllocator.ToVirtual(e & UnmapAddress);
                }
                if (!skip) table[(v >> 12) & 511] = 0;
            }
            return true;
        }
    }

    /// <summary>x86-64 keeps instruction fetch coherent with stores; new code reached by a later jump needs nothing.</summary>
    public static unsafe partial class CodeCache
    {
        public static partial void Synchronize(void* start, ulong size) { }
    }
}
