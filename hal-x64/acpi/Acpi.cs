using System.Runtime.InteropServices;
using Molt.Console;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Arch.X64
{
    /// <summary>The standard ACPI table header (36 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    internal unsafe struct AcpiHeader
    {
        public uint Signature;
        public uint Length;
        public byte Revision;
        public byte Checksum;
        public fixed byte OemId[6];
        public ulong OemTableId;
        public uint OemRevision;
        public uint CreatorId;
        public uint CreatorRevision;
    }

    /// <summary>
    /// Finds ACPI tables: the RSDP from the loader (Limine, PVH, Multiboot2)
    /// or, failing that, by scanning the EBDA and 0xE0000-0xFFFFF as the spec
    /// allows; then the XSDT (or RSDT on ACPI 1.0). Every table is checked for
    /// a sane length and a zero checksum before use; a bad one is logged and
    /// skipped, never followed.
    /// </summary>
    internal static unsafe class Acpi
    {
        private const ulong RsdpSignature = 0x2052545020445352; // "RSD PTR "
        private const uint MaxTableLength = 1 << 20;

        private static AcpiHeader* s_root;
        private static bool s_xsdt;

        public static bool Available => s_root != null;

        private static void* Map(ulong phys, ulong size) => KernelAddressSpace.MapPhysical(phys, size, PageAccess.Read);

        public static bool Initialize(ulong rsdpFromLoader)
        {
            ulong rsdp = rsdpFromLoader;
            ulong offset = Kernel.Boot->DirectMapOffset;
            if (rsdp >= offset) rsdp -= offset; // older Limine revisions hand out a virtual address
            if (rsdp == 0 || !ValidRsdp(rsdp)) rsdp = Scan();
            if (rsdp == 0)
            {
                Log.Warn("acpi", $"no RSDP found; continuing without ACPI (boot CPU only, default APIC addresses)");
                return false;
            }
            byte* r = (byte*)Map(rsdp, 36);
            byte revision = r[15];
            ulong xsdt = revision >= 2 ? *(ulong*)(r + 24) : 0;
            ulong rsdt = *(uint*)(r + 16);
            if (xsdt != 0 && TryTable(xsdt, out s_root)) s_xsdt = true;
            else if (rsdt != 0 && TryTable(rsdt, out s_root)) s_xsdt = false;
            else
            {
                Log.Warn("acpi", $"RSDP at {rsdp:x} points at no valid XSDT or RSDT; continuing without ACPI");
                return false;
            }
            Log.Info("acpi", $"RSDP at {rsdp:x}, revision {revision}, {(s_xsdt ? "XSDT" : "RSDT")} with {Count()} tables");
            return true;
        }

        private static bool ValidRsdp(ulong phys)
        {
            byte* p = (byte*)Map(phys, 20);
            if (p == null || *(ulong*)p != RsdpSignature) return false;
            byte sum = 0;
            for (int i = 0; i < 20; i++) sum += p[i];
            return sum == 0;
        }

        private static ulong Scan()
        {
            ushort* ebdaSegment = (ushort*)Map(0x40E, 2);
            ulong ebda = ebdaSegment != null ? (ulong)*ebdaSegment << 4 : 0;
            if (ebda >= 0x80000 && ebda < 0xA0000)
                for (ulong a = ebda; a < ebda + 1024; a += 16)
                    if (ValidRsdp(a)) return a;
            for (ulong a = 0xE0000; a < 0x100000; a += 16)
                if (ValidRsdp(a)) return a;
            return 0;
        }

        private static bool TryTable(ulong phys, out AcpiHeader* table)
        {
            table = null;
            var h = (AcpiHeader*)Map(phys, (ulong)sizeof(AcpiHeader));
            if (h == null || h->Length < sizeof(AcpiHeader) || h->Length > MaxTableLength) return false;
            byte* p = (byte*)Map(phys, h->Length);
            byte sum = 0;
            for (uint i = 0; i < h->Length; i++) sum += p[i];
            if (sum != 0)
            {
                Log.Warn("acpi", $"table {new FourCC(h->Signature)} at {phys:x} has a bad checksum; ignored");
                return false;
            }
            table = h;
            return true;
        }

        private static int Count()
        {
            int width = s_xsdt ? 8 : 4;
            return (int)((s_root->Length - (uint)sizeof(AcpiHeader)) / (uint)width);
        }

        /// <summary>The first valid table with this signature (e.g. "APIC", "MCFG"), or null.</summary>
        public static AcpiHeader* Find(string signature)
        {
            if (s_root == null) return null;
            uint sig = (uint)signature[0] | (uint)signature[1] << 8 | (uint)signature[2] << 16 | (uint)signature[3] << 24;
            byte* entries = (byte*)s_root + sizeof(AcpiHeader);
            int n = Count();
            for (int i = 0; i < n; i++)
            {
                ulong phys = s_xsdt ? *(ulong*)(entries + i * 8) : *(uint*)(entries + i * 4);
                AcpiHeader* h;
                if (phys != 0 && TryTable(phys, out h) && h->Signature == sig) return h;
            }
            return null;
        }
    }
}
