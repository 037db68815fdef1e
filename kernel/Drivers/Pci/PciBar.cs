namespace Molt.Drivers.Pci
{
    /// <summary>What a base address register decodes.</summary>
    public enum PciBarKind : byte { None = 0, Io = 1, Memory32 = 2, Memory64 = 3 }

    /// <summary>
    /// Base address register arithmetic, free of any device access so the host
    /// tests run it. Sizing (PCI Local Bus 3.0, 6.2.5.1): write all ones,
    /// read back; the bits that stay zero below the type bits are the size
    /// (its two's complement). A 64-bit memory BAR (type bits 2-1 = 10b) takes
    /// the next register as its upper half.
    /// </summary>
    public static class PciBar
    {
        /// <summary>The kind a BAR's original value announces.</summary>
        public static PciBarKind KindOf(uint original)
        {
            if ((original & 1) != 0) return PciBarKind.Io;
            uint type = (original >> 1) & 3;
            return type == 2 ? PciBarKind.Memory64 : type == 0 ? PciBarKind.Memory32 : PciBarKind.None; // 01b (below 1 MiB) is obsolete
        }

        public static bool IsPrefetchable(uint original) => (original & 1) == 0 && (original & 8) != 0;

        /// <summary>The bus address a BAR holds (low, and for a 64-bit BAR high, halves; the type bits cleared).</summary>
        public static ulong Address(uint low, uint high, PciBarKind kind)
        {
            if (kind == PciBarKind.Io) return low & ~3u;
            ulong a = low & ~0xFu;
            if (kind == PciBarKind.Memory64) a |= (ulong)high << 32;
            return a;
        }

        /// <summary>
        /// The size a BAR decodes, from what it read back after all ones were
        /// written (<paramref name="sizedHigh"/> only for 64-bit BARs). 0 for a
        /// BAR that is not implemented (all address bits read back zero).
        /// </summary>
        public static ulong Size(uint sizedLow, uint sizedHigh, PciBarKind kind)
        {
            switch (kind)
            {
                case PciBarKind.Io:
                {
                    uint mask = sizedLow & ~3u;
                    // I/O BARs may implement only the low 16 bits: the upper ones read as zero.
                    if (mask == 0) return 0;
                    if ((mask & 0xFFFF0000) == 0) mask |= 0xFFFF0000;
                    return (ulong)(~mask + 1);
                }
                case PciBarKind.Memory32:
                {
                    uint mask = sizedLow & ~0xFu;
                    return mask == 0 ? 0 : (ulong)(~mask + 1);
                }
                case PciBarKind.Memory64:
                {
                    ulong mask = ((ulong)sizedHigh << 32) | (sizedLow & ~0xFu);
                    return mask == 0 ? 0 : ~mask + 1;
                }
                default: return 0;
            }
        }

        /// <summary>The first address at or above <paramref name="cursor"/> aligned to <paramref name="size"/> (a power of two).</summary>
        public static ulong AlignUp(ulong cursor, ulong size) => (cursor + size - 1) & ~(size - 1);

        public static bool IsPowerOfTwo(ulong v) => v != 0 && (v & (v - 1)) == 0;
    }
}
