using System;
using Molt.Acpi;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The arch-neutral ACPI reader (<see cref="AcpiTables"/>,
    /// <see cref="MadtEntries"/>, <see cref="ArmTables"/>) on tables built
    /// here in four frames of physical memory, so the tests run on every
    /// arch: an RSDP, an XSDT and an RSDT listing up to seven tables, some of
    /// them QEMU virt's own (<see cref="AcpiFixtures"/>). Then the same set
    /// broken in each way the reader must refuse or step around.
    /// The table sets are opened quiet: the refusals are not logged.
    /// </summary>
    internal static unsafe class AcpiTests
    {
        public static void Register()
        {
            TestRunner.Add("acpi.tables.find", &FindsTables);
            TestRunner.Add("acpi.tables.rsdt", &RsdtOnly);
            TestRunner.Add("acpi.tables.malformed", &Malformed);
            TestRunner.Add("acpi.madt.entries", &MadtWalk);
            TestRunner.Add("acpi.arm.qemu_virt", &QemuVirt);
            TestRunner.Add("acpi.arm.variants", &ArmVariants);
            TestRunner.Add("acpi.arm.malformed", &ArmMalformed);
        }

        // Layout of the scratch area: RSDP at 0, XSDT at 0x100, RSDT at 0x200, seven 2 KiB table slots from 0x400.
        internal const int Pages = 4, XsdtAt = 0x100, RsdtAt = 0x200, FirstSlot = 0x400, SlotSize = 0x800, Slots = 7;

        internal struct Area
        {
            public ulong Phys;
            public byte* Virt;
            public byte* At(int offset) => Virt + offset;
            public ulong PhysAt(int offset) => Phys + (ulong)offset;
            public byte* Slot(int i) => Virt + FirstSlot + i * SlotSize;
            public ulong SlotPhys(int i) => Phys + (ulong)(FirstSlot + i * SlotSize);
            /// <summary>The RSDT holds 32-bit addresses: usable only when the area lies below 4 GiB.</summary>
            public bool Below4G => Phys + Pages * 4096 <= 0x1_0000_0000UL;
        }

        internal static bool Allocate(TestContext t, out Area a)
        {
            a = default;
            ulong phys = FrameAllocator.AllocateContiguous(Pages);
            if (!t.True(phys != 0, "frames for the tables")) return false;
            a.Phys = phys;
            a.Virt = (byte*)FrameAllocator.ToVirtual(phys);
            Clear(a);
            return true;
        }

        internal static void Clear(Area a) { for (int i = 0; i < Pages * 4096; i++) a.Virt[i] = 0; }

        internal static void Release(Area a) => FrameAllocator.Free(a.Phys, Pages);

        internal static void Put(byte* p, string s) { for (int i = 0; i < s.Length; i++) p[i] = (byte)s[i]; }

        /// <summary>Sets the byte at <paramref name="at"/> so the first <paramref name="length"/> bytes sum to zero.</summary>
        private static void Checksum(byte* p, uint length, int at)
        {
            p[at] = 0;
            byte sum = 0;
            for (uint i = 0; i < length; i++) sum += p[i];
            p[at] = (byte)(0 - sum);
        }

        /// <summary>A table's checksum over its own length (at most a slot).</summary>
        internal static void Seal(byte* table)
        {
            uint length = *(uint*)(table + 4);
            Checksum(table, length < SlotSize ? length : SlotSize, 9);
        }

        /// <summary>A header in slot <paramref name="slot"/>; fill the body, then <see cref="Seal"/>.</summary>
        internal static byte* Table(Area a, int slot, string signature, uint length, byte revision = 1)
        {
            byte* p = a.Slot(slot);
            for (int i = 0; i < SlotSize; i++) p[i] = 0;
            Put(p, signature);
            *(uint*)(p + 4) = length;
            p[8] = revision;
            Put(p + 10, "MOLT  ");
            return p;
        }

        internal static byte* Copy(Area a, int slot, ReadOnlySpan<byte> data)
        {
            byte* p = a.Slot(slot);
            for (int i = 0; i < SlotSize; i++) p[i] = i < data.Length ? data[i] : (byte)0;
            return p;
        }

        private static void Rsdp(Area a, ulong rsdt, ulong xsdt, byte revision)
        {
            byte* p = a.At(0);
            for (int i = 0; i < 36; i++) p[i] = 0;
            Put(p, "RSD PTR ");
            Put(p + 9, "MOLT  ");
            p[15] = revision;
            *(uint*)(p + 16) = (uint)rsdt;
            *(uint*)(p + 20) = 36;
            *(ulong*)(p + 24) = xsdt;
            Checksum(p, 20, 8);
            Checksum(p, 36, 32);
        }

        /// <summary>An XSDT and (below 4 GiB) an RSDT listing slots 0 to <paramref name="count"/>-1, and an RSDP (revision 2) naming both.</summary>
        internal static void Roots(Area a, int count)
        {
            byte* x = a.At(XsdtAt);
            Put(x, "XSDT");
            *(uint*)(x + 4) = (uint)(36 + 8 * count);
            x[8] = 1;
            for (int i = 0; i < count; i++) *(ulong*)(x + 36 + 8 * i) = a.SlotPhys(i);
            Seal(x);
            ulong rsdt = 0;
            if (a.Below4G)
            {
                byte* r = a.At(RsdtAt);
                Put(r, "RSDT");
                *(uint*)(r + 4) = (uint)(36 + 4 * count);
                r[8] = 1;
                for (int i = 0; i < count; i++) *(uint*)(r + 36 + 4 * i) = (uint)a.SlotPhys(i);
                Seal(r);
                rsdt = a.PhysAt(RsdtAt);
            }
            Rsdp(a, rsdt, a.PhysAt(XsdtAt), 2);
        }

        internal static string Open(Area a, out AcpiTables tables) => AcpiTables.Open(a.Phys, FrameAllocator.DirectMapOffset, true, out tables);

        private static void Ssdt(Area a, int slot, uint oemRevision)
        {
            byte* p = Table(a, slot, "SSDT", 40, 2);
            *(uint*)(p + 24) = oemRevision;
            Seal(p);
        }

        /// <summary>The four QEMU tables in slots 0-3, three SSDTs in 4-6 (the middle one with a bad checksum).</summary>
        private static void BuildSet(Area a)
        {
            Clear(a);
            Copy(a, 0, AcpiFixtures.MadtGicV3);
            Copy(a, 1, AcpiFixtures.Gtdt);
            Copy(a, 2, AcpiFixtures.Fadt);
            Copy(a, 3, AcpiFixtures.Spcr);
            Ssdt(a, 4, 40);
            Ssdt(a, 5, 50);
            a.Slot(5)[20] ^= 0x55;
            Ssdt(a, 6, 60);
            Roots(a, Slots);
        }

        private static void FindsTables(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;
            BuildSet(a);
            AcpiTables tables;
            string error = Open(a, out tables);
            if (t.True(error == null, error ?? "") && t.True(tables.IsValid, "opened"))
            {
                t.True(tables.UsesXsdt, "the XSDT is preferred");
                t.Equal(7, tables.Count, "seven entries");
                t.Equal(2, tables.Revision, "RSDP revision");
                t.Equal(a.PhysAt(XsdtAt), tables.RootPhysical, "root address");
                t.Equal(a.SlotPhys(3), tables.EntryPhysical(3), "entry 3");
                t.Equal(0UL, tables.EntryPhysical(7), "no entry past the end");
                t.Equal(0UL, tables.EntryPhysical(-1), "no entry before the start");
                AcpiHeader* h = tables.Find("APIC");
                t.True(h != null && tables.PhysicalOf(h) == a.SlotPhys(0), "MADT found");
                h = tables.Find("SPCR");
                t.True(h != null && h->Length == 80, "SPCR found with its length");
                h = tables.Find("SSDT", 0);
                t.True(h != null && h->OemRevision == 40, "first SSDT");
                h = tables.Find("SSDT", 1);
                t.True(h != null && h->OemRevision == 60, "second valid SSDT: the one with the bad checksum is skipped");
                t.True(tables.Find("SSDT", 2) == null, "no third valid SSDT");
                t.True(tables.Find("DSDT") == null, "a signature not listed");
                t.True(AcpiTables.IsRsdp(a.Phys, FrameAllocator.DirectMapOffset), "IsRsdp on a good RSDP");
                t.True(!AcpiTables.IsRsdp(a.PhysAt(16), FrameAllocator.DirectMapOffset), "IsRsdp elsewhere");
            }
            Release(a);
        }

        private static void RsdtOnly(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;
            if (!a.Below4G) { t.True(true, "area above 4 GiB: no RSDT possible"); Release(a); return; }
            BuildSet(a);
            Rsdp(a, a.PhysAt(RsdtAt), 0, 0); // ACPI 1.0: 20 bytes, no XSDT
            AcpiTables tables;
            string error = Open(a, out tables);
            if (t.True(error == null, error ?? ""))
            {
                t.True(!tables.UsesXsdt, "ACPI 1.0: the RSDT");
                t.Equal(7, tables.Count, "seven entries");
                t.Equal(a.SlotPhys(6), tables.EntryPhysical(6), "32-bit entry");
                AcpiHeader* h = tables.Find("FACP");
                t.True(h != null && tables.PhysicalOf(h) == a.SlotPhys(2), "FADT through the RSDT");
            }
            Rsdp(a, a.PhysAt(RsdtAt), 0, 2); // revision 2 without an XSDT address
            error = Open(a, out tables);
            t.True(error == null && !tables.UsesXsdt, "revision 2 with no XSDT uses the RSDT");
            Release(a);
        }

        /// <summary>Builds the good set, applies one corruption (which may also re-seal), and opens it.</summary>
        private static string Corrupt(Area a, int corruption, out AcpiTables tables)
        {
            BuildSet(a);
            byte* r = a.At(0), x = a.At(XsdtAt), s4 = a.Slot(4);
            switch (corruption)
            {
                case 0: r[0] = (byte)'X'; break;                                              // RSDP signature
                case 1: r[8] ^= 1; break;                                                     // RSDP checksum
                case 2: r[32] ^= 1; break;                                                    // extended checksum
                case 3: *(uint*)(r + 16) = 0; Checksum(r, 20, 8); Checksum(r, 36, 32); r[32] ^= 1; break; // extended checksum, no RSDT
                case 4: *(uint*)(r + 20) = 5000; Checksum(r, 20, 8); break;                   // RSDP length (the extended checksum no longer matches either)
                case 5: x[9] ^= 1; break;                                                     // XSDT checksum
                case 6: x[0] = (byte)'Y'; Seal(x); break;                                     // XSDT signature
                case 7: x[0] = (byte)'Y'; Seal(x); *(uint*)(r + 16) = 0; Checksum(r, 20, 8); Checksum(r, 36, 32); break; // ... and no RSDT
                case 8: *(uint*)(x + 4) = 20; Seal(x); break;                                 // XSDT shorter than a header
                case 9: *(uint*)(x + 4) = 0x200000; break;                                    // XSDT longer than 1 MiB
                case 10: *(uint*)(x + 4) = 36 + 8 * Slots + 4; Seal(x); break;                // a partial entry at the end
                case 11:                                                                      // bad entries before a good one
                    *(ulong*)(x + 36) = 0;
                    *(ulong*)(x + 44) = 1UL << 60;
                    *(ulong*)(x + 52) = ulong.MaxValue - 8;
                    Seal(x);
                    break;
                case 12: *(uint*)(s4 + 4) = 20; Seal(s4); break;                              // a table shorter than a header
                case 13: *(uint*)(s4 + 4) = 0x200000; break;                                  // a table longer than 1 MiB
                case 14:                                                                      // a root with 300 entries
                    {
                        byte* big = a.Slot(2);
                        for (int i = 0; i < 3 * SlotSize; i++) big[i] = 0;
                        Put(big, "XSDT");
                        *(uint*)(big + 4) = 36 + 8 * 300;
                        *(ulong*)(big + 36 + 8 * 299) = a.SlotPhys(0);
                        Checksum(big, 36 + 8 * 300, 9);
                        *(ulong*)(r + 24) = a.SlotPhys(2);
                        Checksum(r, 36, 32);
                        break;
                    }
            }
            return Open(a, out tables);
        }

        private static void Malformed(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;
            AcpiTables tables;
            bool rsdt = a.Below4G;
            t.True(AcpiTables.Open(0, FrameAllocator.DirectMapOffset, true, out tables) != null && !tables.IsValid, "RSDP 0 refused");
            t.True(!AcpiTables.IsRsdp(0, FrameAllocator.DirectMapOffset) && !AcpiTables.IsRsdp(1UL << 60, FrameAllocator.DirectMapOffset), "impossible RSDP addresses refused");
            t.True(Corrupt(a, 0, out tables) != null && !tables.IsValid, "bad RSDP signature refused");
            t.True(Corrupt(a, 1, out tables) != null && !tables.IsValid, "bad RSDP checksum refused");
            if (rsdt)
            {
                t.True(Corrupt(a, 2, out tables) == null && !tables.UsesXsdt, "bad extended checksum: the RSDT is used");
                t.True(Corrupt(a, 4, out tables) == null && !tables.UsesXsdt, "bad RSDP length: the RSDT is used");
                t.True(Corrupt(a, 5, out tables) == null && !tables.UsesXsdt && tables.Find("GTDT") != null, "bad XSDT checksum: the RSDT is used");
                t.True(Corrupt(a, 6, out tables) == null && !tables.UsesXsdt, "XSDT with another signature: the RSDT is used");
                t.True(Corrupt(a, 8, out tables) == null && !tables.UsesXsdt, "short XSDT: the RSDT is used");
                t.True(Corrupt(a, 9, out tables) == null && !tables.UsesXsdt, "huge XSDT: the RSDT is used");
            }
            t.True(Corrupt(a, 3, out tables) != null && !tables.IsValid, "bad extended checksum and no RSDT refused");
            t.True(Corrupt(a, 7, out tables) != null && !tables.IsValid, "no valid root refused");
            t.True(Corrupt(a, 10, out tables) == null && tables.Count == Slots, "a partial entry at the end is ignored");
            if (t.True(Corrupt(a, 11, out tables) == null, "bad entries open"))
            {
                t.True(tables.Find("APIC") == null && tables.Find("FACP") == null, "the MADT's and FADT's entries were overwritten");
                t.True(tables.Find("SPCR") != null, "entries past the bad ones are read");
                t.True(tables.Find("XXXX") == null, "a full search steps over 0 and impossible addresses");
            }
            if (t.True(Corrupt(a, 12, out tables) == null, "short table: set opens"))
            {
                AcpiHeader* h = tables.Find("SSDT");
                t.True(h != null && h->OemRevision == 60, "a table shorter than its header is skipped");
            }
            if (t.True(Corrupt(a, 13, out tables) == null, "huge table: set opens"))
            {
                AcpiHeader* h = tables.Find("SSDT");
                t.True(h != null && h->OemRevision == 60, "a table longer than 1 MiB is skipped");
            }
            if (t.True(Corrupt(a, 14, out tables) == null, "big root opens"))
            {
                t.Equal(AcpiTables.MaxEntries, tables.Count, "entries capped");
                t.True(tables.Find("APIC") == null, "the entry past the cap is not read");
            }
            Release(a);
        }

        private static int Walk(byte* madt, out MadtEntries walker)
        {
            walker = new MadtEntries((AcpiHeader*)madt);
            int n = 0;
            byte type; byte* e; uint size;
            while (walker.Next(out type, out e, out size)) n++;
            return n;
        }

        private static void MadtWalk(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;
            byte* m = Table(a, 0, "APIC", 44 + 8 + 8, 4);
            m[44] = 0x7F; m[45] = 8;
            m[52] = 0x7E; m[53] = 8;
            MadtEntries w;
            t.Equal(2, Walk(m, out w), "two entries");
            t.True(!w.Malformed, "a table that ends on an entry is well formed");
            *(uint*)(m + 4) = 44 + 8 + 8 + 1;
            t.Equal(2, Walk(m, out w), "a trailing byte is no entry");
            t.True(!w.Malformed, "and not an error");
            *(uint*)(m + 4) = 44 + 8 + 8 + 4;
            t.Equal(2, Walk(m, out w), "an entry of length 0 stops the walk");
            t.True(w.Malformed && w.BadOffset == 60, "length 0 reported at its offset");
            m[53] = 200;
            t.Equal(1, Walk(m, out w), "an entry past the end stops the walk");
            t.True(w.Malformed && w.BadOffset == 52, "overrun reported at its offset");
            m[53] = 1;
            t.Equal(1, Walk(m, out w), "length 1 stops the walk");
            t.True(w.Malformed, "length 1 reported");
            *(uint*)(m + 4) = 40;
            t.Equal(0, Walk(m, out w), "a MADT shorter than its fixed part has no entries");
            t.True(w.Malformed, "and is reported");
            t.Equal(0, Walk(null, out w), "no MADT, no entries");
            Release(a);
        }

        private static ArmFirmwareInfo* NewInfo()
        {
            var info = (ArmFirmwareInfo*)Heap.AllocateOrPanic((uint)sizeof(ArmFirmwareInfo));
            for (int i = 0; i < sizeof(ArmFirmwareInfo); i++) ((byte*)info)[i] = 0;
            return info;
        }

        private static void QemuVirt(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;
            BuildSet(a);
            AcpiTables tables;
            Open(a, out tables);
            ArmFirmwareInfo* f = NewInfo();
            ArmTables.Read(ref tables, f);
            t.True(f->HasMadt, "MADT read");
            t.Equal(4, f->CpuCount, "4 CPUs");
            t.True(f->Mpidr(0) == 0 && f->Mpidr(1) == 1 && f->Mpidr(2) == 2 && f->Mpidr(3) == 3, "MPIDRs 0-3");
            t.Equal(0, f->CpusDisabled + f->CpusDropped, "none left out");
            t.Equal(3, f->GicVersion, "GICv3");
            t.Equal(3, f->GicVersionField, "version field");
            t.Equal(0x08000000UL, f->DistributorBase, "distributor");
            t.Equal(1, f->RedistributorRangeCount, "one GICR range");
            t.Equal(0x080A0000UL, f->RedistributorBase(0), "GICR base");
            t.Equal(0xF60000UL, f->RedistributorLength(0), "GICR length");
            t.True(!f->RedistributorsFromGicc, "from the GICR entry");
            t.True(f->HasTimer, "GTDT read");
            t.Equal(27L, (long)f->VirtualTimerGsiv, "virtual timer INTID 27");
            t.Equal(0L, (long)(f->VirtualTimerFlags & 3), "level-triggered, active high");
            t.True(f->HasFadt && f->PsciCompliant && f->PsciUseHvc, "PSCI through hvc");
            t.True(f->HasConsole && f->ConsoleType == ArmTables.SpcrPl011 && f->ConsoleIsPl011Like, "SPCR: a PL011");
            t.Equal(0x09000000UL, f->ConsoleBase, "UART base");
            Heap.Free(f);
            Release(a);
        }

        private static int Gicd(byte* m, int at, ulong distributor, byte version)
        {
            byte* e = m + at;
            e[0] = ArmTables.GicdType; e[1] = 24;
            *(ulong*)(e + 8) = distributor;
            e[20] = version;
            return at + 24;
        }

        private static int Gicc(byte* m, int at, ulong mpidr, uint flags, ulong cpuInterface, ulong gicr, byte size = 80)
        {
            byte* e = m + at;
            e[0] = ArmTables.GiccType; e[1] = size;
            *(uint*)(e + 12) = flags;
            if (size >= 40) *(ulong*)(e + 32) = cpuInterface;
            if (size >= 76) { *(ulong*)(e + 60) = gicr; *(ulong*)(e + 68) = mpidr; }
            return at + size;
        }

        private static int Gicr(byte* m, int at, ulong bas, uint length)
        {
            byte* e = m + at;
            e[0] = ArmTables.GicrType; e[1] = 16;
            *(ulong*)(e + 4) = bas;
            *(uint*)(e + 12) = length;
            return at + 16;
        }

        private static byte* Spcr(Area a, int slot, byte type, byte space, ulong address)
        {
            byte* s = Table(a, slot, "SPCR", 80, 2);
            s[36] = type;
            s[40] = space; s[41] = 32; s[43] = 3;
            *(ulong*)(s + 44) = address;
            Seal(s);
            return s;
        }

        private static ArmFirmwareInfo* ReadSet(Area a, int count)
        {
            Roots(a, count);
            AcpiTables tables;
            Open(a, out tables);
            ArmFirmwareInfo* f = NewInfo();
            ArmTables.Read(ref tables, f);
            return f;
        }

        private static void ArmVariants(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;

            // GICv2 (a GIC-400 board): CPU interface in the GICC entries, one CPU disabled; SMC PSCI; an SBSA UART.
            byte* m = Table(a, 0, "APIC", 0, 4);
            int at = Gicd(m, 44, 0x2C001000, 2);
            at = Gicc(m, at, 0x000, 1, 0x2C002000, 0);
            at = Gicc(m, at, 0x100, 1, 0x2C002000, 0);
            at = Gicc(m, at, 0x200, 0, 0x2C002000, 0);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            byte* fadt = Table(a, 1, "FACP", 276, 6);
            *(ushort*)(fadt + ArmTables.FadtArmBootFlagsOffset) = ArmTables.PsciCompliant;
            Seal(fadt);
            Spcr(a, 2, ArmTables.SpcrSbsa, 0, 0x1C090000);
            ArmFirmwareInfo* f = ReadSet(a, 3);
            t.Equal(2, f->CpuCount, "two enabled CPUs");
            t.Equal(0x100UL, f->Mpidr(1), "second MPIDR");
            t.Equal(1, f->CpusDisabled, "one disabled");
            t.Equal(2, f->GicVersion, "GICv2");
            t.Equal(0x2C002000UL, f->CpuInterfaceBase, "CPU interface");
            t.Equal(0, f->RedistributorRangeCount, "no redistributors");
            t.True(f->HasFadt && f->PsciCompliant && !f->PsciUseHvc, "PSCI through smc");
            t.True(!f->HasTimer, "no GTDT");
            t.True(f->HasConsole && f->ConsoleIsPl011Like && f->ConsoleBase == 0x1C090000, "SBSA UART");
            Heap.Free(f);

            // GICv3 without a version field or GICR entries: each GICC names its redistributor; Aff3 kept.
            Clear(a);
            m = Table(a, 0, "APIC", 0, 5);
            at = Gicd(m, 44, 0x08000000, 0);
            at = Gicc(m, at, 0x0, 1, 0, 0x080A0000);
            at = Gicc(m, at, 0x1_0000_0000UL, 1, 0, 0x080C0000, 82);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            f = ReadSet(a, 1);
            t.Equal(3, f->GicVersion, "GICv3 inferred from the redistributors");
            t.True(f->RedistributorsFromGicc, "redistributors from the GICC entries");
            t.Equal(2, f->RedistributorRangeCount, "one frame per CPU");
            t.Equal(0x080C0000UL, f->RedistributorBase(1), "second CPU's redistributor");
            t.Equal(ArmFirmwareInfo.RedistributorFrameSize, f->RedistributorLength(1), "one frame long");
            t.Equal(0x1_0000_0000UL, f->Mpidr(1), "Aff3 kept");
            t.True(!f->HasFadt && !f->HasConsole, "no FADT, no SPCR");
            Heap.Free(f);

            // GICR entries win over the GICC bases; duplicate, short and malformed GICC entries are left out.
            Clear(a);
            m = Table(a, 0, "APIC", 0, 5);
            at = Gicd(m, 44, 0x08000000, 4);
            at = Gicc(m, at, 0x0, 1, 0, 0x080A0000);
            at = Gicc(m, at, 0x0, 1, 0, 0x080A0000);           // the same MPIDR again
            at = Gicc(m, at, 0x8000_0000UL, 1, 0, 0x080C0000);  // bit 31 is no affinity bit
            at = Gicc(m, at, 0x3, 1, 0, 0, 60);                 // too short for an MPIDR
            at = Gicc(m, at, 0x1, 9, 0, 0x080C0000);            // enabled (bit 0) among other flags
            at = Gicr(m, at, 0x080A0000, 0x100000);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            Spcr(a, 1, 0x00, 1, 0x3F8);                         // a 16550 in I/O space
            f = ReadSet(a, 2);
            t.Equal(2, f->CpuCount, "two good CPUs");
            t.Equal(1UL, f->Mpidr(1), "the one with extra flags counts");
            t.Equal(1, f->CpusDropped, "the duplicate is dropped");
            t.Equal(3, f->GicVersion, "GICv4 is driven as v3");
            t.Equal(4, f->GicVersionField, "its field says 4");
            t.True(!f->RedistributorsFromGicc && f->RedistributorRangeCount == 1 && f->RedistributorLength(0) == 0x100000, "the GICR range");
            t.True(!f->HasConsole, "a UART in I/O space is not taken");
            Heap.Free(f);

            Clear(a);
            Spcr(a, 0, 0x00, 0, 0x1C020000);
            f = ReadSet(a, 1);
            t.True(f->HasConsole && !f->ConsoleIsPl011Like, "a 16550 in memory space is recorded, not PL011-like");
            Heap.Free(f);
            Release(a);
        }

        private static void ArmMalformed(TestContext t)
        {
            Area a;
            if (!Allocate(t, out a)) return;
            // A bad entry after the first GICC: the GICD behind it is never read.
            byte* m = Table(a, 0, "APIC", 0, 4);
            int at = Gicc(m, 44, 0x0, 1, 0, 0x080A0000);
            m[at] = ArmTables.GicdType; m[at + 1] = 0;
            at = Gicd(m, at + 4, 0x08000000, 3);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            byte* fadt = Table(a, 1, "FACP", 120, 5);              // an ACPI 5.0 FADT: no ARM boot flags
            Seal(fadt);
            byte* gtdt = Table(a, 2, "GTDT", 60, 2);               // too short for the virtual timer
            Seal(gtdt);
            byte* spcr = Table(a, 3, "SPCR", 60, 2);               // too short for the base address
            Seal(spcr);
            ArmFirmwareInfo* f = ReadSet(a, 4);
            t.True(f->HasMadt && f->CpuCount == 1, "the GICC before the bad entry counts");
            t.Equal(0, f->GicVersion, "no GIC: its GICD was behind the bad entry");
            t.True(!f->HasFadt && !f->PsciCompliant, "a short FADT gives no PSCI");
            t.True(!f->HasTimer, "a short GTDT gives no timer");
            t.True(!f->HasConsole, "a short SPCR gives no console");
            Heap.Free(f);

            // A GIC version this kernel does not drive; a GICD with base 0; an empty GICR range.
            Clear(a);
            m = Table(a, 0, "APIC", 0, 4);
            at = Gicd(m, 44, 0x08000000, 7);
            at = Gicc(m, at, 0x0, 1, 0, 0);
            at = Gicr(m, at, 0x080A0000, 0);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            f = ReadSet(a, 1);
            t.Equal(0, f->GicVersion, "GIC version 7 refused");
            t.Equal(0, f->RedistributorRangeCount, "an empty GICR range is ignored");
            Heap.Free(f);

            Clear(a);
            m = Table(a, 0, "APIC", 0, 4);
            at = Gicd(m, 44, 0, 2);
            at = Gicc(m, at, 0x0, 1, 0x2C002000, 0);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            f = ReadSet(a, 1);
            t.Equal(0, f->GicVersion, "a distributor at 0 is none");
            Heap.Free(f);

            // A MADT with a bad checksum is not read at all.
            Clear(a);
            m = Table(a, 0, "APIC", 0, 4);
            at = Gicd(m, 44, 0x08000000, 3);
            *(uint*)(m + 4) = (uint)at;
            Seal(m);
            m[44 + 8] ^= 1;
            f = ReadSet(a, 1);
            t.True(!f->HasMadt && f->GicVersion == 0, "a MADT with a bad checksum is skipped");
            Heap.Free(f);
            Release(a);
        }
    }
}
