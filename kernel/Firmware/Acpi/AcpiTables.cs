using System.Runtime.InteropServices;
using Molt.Console;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Acpi
{
    /// <summary>The standard ACPI table header (36 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public unsafe struct AcpiHeader
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
    /// The tables one RSDP leads to: the RSDP itself, then the XSDT (or, on
    /// ACPI 1.0 or when the XSDT is unusable, the RSDT), then the tables it
    /// lists. Arch-neutral: x86-64 reads the MADT and MCFG through it, AArch64
    /// the MADT, GTDT, FADT and SPCR.
    ///
    /// Nothing is followed before it is checked, and every loop is bounded:
    /// <list type="bullet">
    /// <item>RSDP: the "RSD PTR " signature and the checksum of its first 20
    ///       bytes; from revision 2 its length (36 to 4096) and the extended
    ///       checksum too, else only the RSDT is used.</item>
    /// <item>Every table: a physical address that is not 0 and whose end stays
    ///       below 2^48, a length from 36 bytes to 1 MiB, a zero checksum, and
    ///       for the root the signature "XSDT" or "RSDT". A root lists at most
    ///       <see cref="MaxEntries"/> tables; a partial entry at its end is ignored.</item>
    /// <item>A table that fails is logged (unless <see cref="Quiet"/>) and
    ///       skipped, never read further: <see cref="Find"/> goes on to the
    ///       next table of that signature.</item>
    /// </list>
    /// Only physical addresses are kept: each lookup maps the table again
    /// (<see cref="KernelAddressSpace.MapPhysical"/>), so a set opened on the
    /// loader's page tables still works after the kernel switched to its own.
    /// Before that switch, tables are read at the loader's direct-map offset.
    /// Entries that point at memory no page table maps would still fault:
    /// the root's checksum covers them, so this takes firmware that writes a
    /// consistent but wrong table.
    /// </summary>
    public unsafe struct AcpiTables
    {
        public const ulong RsdpSignature = 0x2052545020445352; // "RSD PTR "
        public const uint MaxTableLength = 1 << 20;
        public const int MaxEntries = 256;
        private const ulong PhysicalLimit = 1UL << 48;

        private ulong _offset;
        private ulong _root;
        private int _count;
        private bool _xsdt;
        private byte _revision;

        /// <summary>When set, nothing is logged (the tests feed broken tables on purpose).</summary>
        public bool Quiet;

        public bool IsValid => _root != 0;
        public bool UsesXsdt => _xsdt;
        public int Count => _count;
        public int Revision => _revision;
        public ulong RootPhysical => _root;

        /// <summary>Four characters as the little-endian word a table header holds.</summary>
        public static uint Signature(string s)
            => (uint)s[0] | (uint)s[1] << 8 | (uint)s[2] << 16 | (uint)s[3] << 24;

        private static bool InRange(ulong phys, ulong size) => phys != 0 && phys < PhysicalLimit && size <= PhysicalLimit - phys;

        /// <summary>[phys, phys+size) readable through the direct map: the loader's until the kernel's own tables are active, then mapped on demand.</summary>
        private static void* Map(ulong phys, ulong size, ulong offset)
        {
            if (!InRange(phys, size)) return null;
            if (KernelAddressSpace.Root == 0) return (void*)(offset + phys);
            return KernelAddressSpace.MapPhysical(phys, size, PageAccess.Read);
        }

        private static byte Sum(byte* p, uint length)
        {
            byte sum = 0;
            for (uint i = 0; i < length; i++) sum += p[i];
            return sum;
        }

        /// <summary>True if a valid RSDP (signature and the ACPI 1.0 checksum) is at <paramref name="phys"/>.</summary>
        public static bool IsRsdp(ulong phys, ulong directMapOffset)
        {
            byte* p = (byte*)Map(phys, 20, directMapOffset);
            return p != null && *(ulong*)p == RsdpSignature && Sum(p, 20) == 0;
        }

        /// <summary>
        /// Opens the tables the RSDP at physical <paramref name="rsdp"/> leads
        /// to. Returns null and a usable <paramref name="tables"/>, or why
        /// there is none. <paramref name="directMapOffset"/> is where physical
        /// memory is mapped while the loader's page tables are still in use.
        /// </summary>
        public static string Open(ulong rsdp, ulong directMapOffset, bool quiet, out AcpiTables tables)
        {
            tables = default;
            tables._offset = directMapOffset;
            tables.Quiet = quiet;
            if (rsdp == 0) return "no RSDP";
            if (!IsRsdp(rsdp, directMapOffset)) return "no valid RSDP (signature or checksum)";
            byte* r = (byte*)Map(rsdp, 36, directMapOffset);
            byte revision = r[15];
            ulong rsdt = *(uint*)(r + 16), xsdt = 0;
            if (revision >= 2)
            {
                uint length = *(uint*)(r + 20);
                if (length < 36 || length > 4096)
                    tables.Warn("RSDP", rsdp, "has a bad length; using the RSDT");
                else if (Sum((byte*)Map(rsdp, length, directMapOffset), length) != 0)
                    tables.Warn("RSDP", rsdp, "has a bad extended checksum; using the RSDT");
                else xsdt = *(ulong*)(r + 24);
            }
            tables._revision = revision;
            AcpiHeader* root;
            if (xsdt != 0 && tables.Validate(xsdt, Signature("XSDT"), out root))
                tables._xsdt = true;
            else if (rsdt != 0 && tables.Validate(rsdt, Signature("RSDT"), out root))
            {
                tables._xsdt = false;
                xsdt = 0;
            }
            else return "the RSDP points at no valid XSDT or RSDT";
            tables._root = tables._xsdt ? xsdt : rsdt;
            int width = tables._xsdt ? 8 : 4;
            uint count = (root->Length - (uint)sizeof(AcpiHeader)) / (uint)width;
            if ((root->Length - (uint)sizeof(AcpiHeader)) % (uint)width != 0)
                tables.Warn(tables._xsdt ? "XSDT" : "RSDT", tables._root, "ends with a partial entry; ignored");
            if (count > MaxEntries)
            {
                tables.Warn(tables._xsdt ? "XSDT" : "RSDT", tables._root, "lists too many tables; only the first 256 are read");
                count = MaxEntries;
            }
            tables._count = (int)count;
            return null;
        }

        private void Warn(string what, ulong phys, string why)
        {
            if (!Quiet) Log.Warn("acpi", $"{what} at {phys:x} {why}");
        }

        private void Warn(uint signature, ulong phys, string why)
        {
            if (!Quiet) Log.Warn("acpi", $"table {new FourCC(signature)} at {phys:x} {why}");
        }

        /// <summary>
        /// Checks the table at <paramref name="phys"/>: address, length,
        /// checksum, and (unless 0) its signature. Logs why it is refused.
        /// </summary>
        public bool Validate(ulong phys, uint signature, out AcpiHeader* table)
        {
            table = null;
            var h = (AcpiHeader*)Map(phys, (ulong)sizeof(AcpiHeader), _offset);
            if (h == null) { Warn(signature, phys, "is at an impossible address; ignored"); return false; }
            if (signature != 0 && h->Signature != signature) { Warn(signature, phys, "has another signature; ignored"); return false; }
            uint length = h->Length;
            if (length < sizeof(AcpiHeader) || length > MaxTableLength) { Warn(h->Signature, phys, "has a bad length; ignored"); return false; }
            byte* p = (byte*)Map(phys, length, _offset);
            if (p == null) { Warn(h->Signature, phys, "cannot be mapped; ignored"); return false; }
            if (Sum(p, length) != 0) { Warn(h->Signature, phys, "has a bad checksum; ignored"); return false; }
            table = (AcpiHeader*)p;
            return true;
        }

        /// <summary>The physical address the root lists at <paramref name="index"/> (0 for none).</summary>
        public ulong EntryPhysical(int index)
        {
            if ((uint)index >= (uint)_count) return 0;
            byte* root = (byte*)Map(_root, (ulong)sizeof(AcpiHeader) + (ulong)_count * (_xsdt ? 8UL : 4UL), _offset);
            if (root == null) return 0;
            byte* entries = root + sizeof(AcpiHeader);
            return _xsdt ? *(ulong*)(entries + index * 8) : *(uint*)(entries + index * 4);
        }

        /// <summary>
        /// The <paramref name="instance"/>-th valid table with this signature
        /// (e.g. "APIC", "GTDT"), mapped, or null. Tables of that signature
        /// that fail their checks are logged and skipped.
        /// </summary>
        public AcpiHeader* Find(uint signature, int instance = 0)
        {
            for (int i = 0; i < _count; i++)
            {
                ulong phys = EntryPhysical(i);
                if (phys == 0) continue;
                var peek = (AcpiHeader*)Map(phys, (ulong)sizeof(AcpiHeader), _offset);
                if (peek == null || peek->Signature != signature) continue;
                AcpiHeader* table;
                if (!Validate(phys, signature, out table)) continue;
                if (instance-- == 0) return table;
            }
            return null;
        }

        public AcpiHeader* Find(string signature, int instance = 0) => Find(Signature(signature), instance);

        /// <summary>The physical address of a table <see cref="Find"/> returned.</summary>
        public ulong PhysicalOf(AcpiHeader* table)
        {
            if (KernelAddressSpace.Root == 0) return (ulong)table - _offset;
            return (ulong)table - Kernel.Boot->DirectMapOffset;
        }
    }

    /// <summary>
    /// Walks the interrupt controller structures of a MADT ("APIC"), which
    /// follow its 44-byte fixed part. Each entry is (type, length, body).
    /// <see cref="Next"/> stops at the table's end and at the first entry
    /// whose length is below 2 or reaches past the end, setting
    /// <see cref="Malformed"/> and <see cref="BadOffset"/>: the entries
    /// before it are still good, nothing after it is read.
    /// </summary>
    public unsafe struct MadtEntries
    {
        public const uint FirstEntry = 44;

        private byte* _table;
        private uint _length, _at;
        public bool Malformed;
        public uint BadOffset;

        public MadtEntries(AcpiHeader* madt)
        {
            _table = (byte*)madt;
            _length = madt != null ? madt->Length : 0;
            _at = FirstEntry;
            Malformed = madt != null && _length < FirstEntry;
            BadOffset = 0;
        }

        public bool Next(out byte type, out byte* entry, out uint size)
        {
            type = 0; entry = null; size = 0;
            if (Malformed || _table == null || _at + 2 > _length) return false;
            uint n = _table[_at + 1];
            if (n < 2 || _at + n > _length)
            {
                Malformed = true;
                BadOffset = _at;
                return false;
            }
            type = _table[_at];
            entry = _table + _at;
            size = n;
            _at += n;
            return true;
        }
    }

    /// <summary>
    /// The machine's ACPI tables, from the RSDP the loader passed (or, on
    /// x86-64, the one found by scanning the BIOS areas). Opened once;
    /// <see cref="Find"/> is null until then, or when there is no ACPI.
    /// </summary>
    public static unsafe class AcpiFirmware
    {
        private static AcpiTables s_tables;

        public static bool Available => s_tables.IsValid;
        public static ref AcpiTables Tables => ref s_tables;

        /// <summary>Opens the tables; a virtual RSDP address at <paramref name="directMapOffset"/> is accepted too. Logs the outcome.</summary>
        public static bool Initialize(ulong rsdp, ulong directMapOffset)
        {
            if (s_tables.IsValid) return true;
            if (directMapOffset != 0 && rsdp >= directMapOffset) rsdp -= directMapOffset;
            string error = AcpiTables.Open(rsdp, directMapOffset, false, out s_tables);
            if (error != null)
            {
                Log.Warn("acpi", $"{error} (RSDP {rsdp:x}); continuing without ACPI");
                s_tables = default;
                return false;
            }
            Log.Info("acpi", $"RSDP at {rsdp:x}, revision {s_tables.Revision}, {(s_tables.UsesXsdt ? "XSDT" : "RSDT")} with {s_tables.Count} tables");
            return true;
        }

        public static AcpiHeader* Find(string signature, int instance = 0) => s_tables.IsValid ? s_tables.Find(signature, instance) : null;
    }
}
