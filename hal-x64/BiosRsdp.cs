using Molt.Acpi;
using Molt.Memory;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The RSDP on a PC when the loader passed none (or a bad one): the first
    /// KiB of the EBDA, then 0xE0000-0xFFFFF, on 16-byte boundaries, as the
    /// ACPI specification allows. The tables themselves are read by the
    /// arch-neutral <see cref="AcpiTables"/>.
    /// </summary>
    internal static unsafe class BiosRsdp
    {
        /// <summary>The loader's RSDP if it is valid, else one found by scanning, else 0.</summary>
        public static ulong Locate(ulong fromLoader)
        {
            ulong offset = Kernel.Boot->DirectMapOffset;
            if (fromLoader >= offset) fromLoader -= offset; // older Limine revisions hand out a virtual address
            if (AcpiTables.IsRsdp(fromLoader, offset)) return fromLoader;
            return Scan(offset);
        }

        private static ulong Scan(ulong offset)
        {
            ushort* ebdaSegment = (ushort*)KernelAddressSpace.MapPhysical(0x40E, 2, Hal.PageAccess.Read);
            ulong ebda = ebdaSegment != null ? (ulong)*ebdaSegment << 4 : 0;
            if (ebda >= 0x80000 && ebda < 0xA0000)
                for (ulong a = ebda; a < ebda + 1024; a += 16)
                    if (AcpiTables.IsRsdp(a, offset)) return a;
            for (ulong a = 0xE0000; a < 0x100000; a += 16)
                if (AcpiTables.IsRsdp(a, offset)) return a;
            return 0;
        }
    }
}
