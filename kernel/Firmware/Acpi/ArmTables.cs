using Molt.Console;

namespace Molt.Acpi
{
    /// <summary>
    /// What an Arm machine's ACPI tables say, in the form the AArch64 HAL
    /// uses (the same facts its device tree path reads). Filled by
    /// <see cref="ArmTables"/>; arch-neutral so the tests run on both arches.
    /// </summary>
    public unsafe struct ArmFirmwareInfo
    {
        public const int MaxRedistributorRanges = Threading.Scheduler.MaxCpus;
        /// <summary>One GICv3 redistributor (RD_base and SGI_base frames): the range a GICC entry's GICR base stands for.</summary>
        public const ulong RedistributorFrameSize = 0x20000;

        // MADT
        public bool HasMadt;
        public int CpuCount;
        /// <summary>Enabled GICC entries left out: past Scheduler.MaxCpus, or repeating an MPIDR.</summary>
        public int CpusDropped;
        /// <summary>GICC entries not enabled (absent, or only online-capable).</summary>
        public int CpusDisabled;
        private fixed ulong _mpidr[Threading.Scheduler.MaxCpus];
        /// <summary>2 or 3 (the driver to use; a GICv4 is driven as a v3), 0 when the MADT names none.</summary>
        public int GicVersion;
        /// <summary>The MADT's own "GIC version" field (0 = not given).</summary>
        public int GicVersionField;
        public ulong DistributorBase;
        /// <summary>GICv2: the memory-mapped CPU interface (GICC), from the first enabled GICC entry.</summary>
        public ulong CpuInterfaceBase;
        public int RedistributorRangeCount;
        /// <summary>True when the ranges come from the GICC entries' GICR bases (no GICR structures).</summary>
        public bool RedistributorsFromGicc;
        private fixed ulong _rangeBase[MaxRedistributorRanges];
        private fixed ulong _rangeLength[MaxRedistributorRanges];

        // GTDT
        public bool HasTimer;
        /// <summary>The EL1 virtual timer's GSIV (its INTID, a PPI) and flags: bit 0 edge-triggered, bit 1 active low, bit 2 always on.</summary>
        public uint VirtualTimerGsiv, VirtualTimerFlags;

        // FADT
        public bool HasFadt;
        public bool PsciCompliant, PsciUseHvc;

        // SPCR
        public bool HasConsole;
        /// <summary>The SPCR interface type: 0x03 PL011, 0x0E SBSA generic UART, 0x0D SBSA 32-bit-only, 0x00/0x01/0x12 16550 kinds.</summary>
        public byte ConsoleType;
        public ulong ConsoleBase;

        public ulong Mpidr(int index) => (uint)index < (uint)CpuCount ? _mpidr[index] : 0;
        public ulong RedistributorBase(int index) => _rangeBase[index];
        public ulong RedistributorLength(int index) => _rangeLength[index];

        /// <summary>Whether the console is one the PL011 driver can run: a PL011 or an SBSA generic UART (a PL011 subset).</summary>
        public bool ConsoleIsPl011Like => HasConsole && (ConsoleType == ArmTables.SpcrPl011 || ConsoleType == ArmTables.SpcrSbsa || ConsoleType == ArmTables.SpcrSbsa32);

        internal void AddCpu(ulong mpidr)
        {
            for (int i = 0; i < CpuCount; i++)
                if (_mpidr[i] == mpidr) { CpusDropped++; return; }
            if (CpuCount >= Threading.Scheduler.MaxCpus) { CpusDropped++; return; }
            _mpidr[CpuCount++] = mpidr;
        }

        internal bool AddRange(ulong bas, ulong length)
        {
            if (RedistributorRangeCount >= MaxRedistributorRanges) return false;
            _rangeBase[RedistributorRangeCount] = bas;
            _rangeLength[RedistributorRangeCount] = length;
            RedistributorRangeCount++;
            return true;
        }
    }

    /// <summary>
    /// Reads the ACPI tables an Arm server (or AAVMF on QEMU virt) provides
    /// instead of a device tree:
    /// <list type="bullet">
    /// <item>MADT ("APIC"): GICC entries (type 0x0B) give the CPUs (MPIDR,
    ///       enabled flag), the GICv2 CPU interface and, without GICR entries,
    ///       each CPU's redistributor; the GICD entry (0x0C) the distributor and
    ///       GIC version; GICR entries (0x0E) the redistributor discovery ranges.</item>
    /// <item>GTDT: the EL1 virtual timer's GSIV and flags.</item>
    /// <item>FADT ("FACP"): the ARM boot architecture flags, PSCI compliant and
    ///       HVC (else SMC) as its conduit.</item>
    /// <item>SPCR: the console UART's type and MMIO base.</item>
    /// </list>
    /// Every entry is length-checked before it is read (a short or truncated
    /// one is logged, unless the table set is quiet, and skipped); the
    /// tables themselves were checked by <see cref="AcpiTables"/>.
    /// </summary>
    public static unsafe class ArmTables
    {
        public const byte GiccType = 0x0B, GicdType = 0x0C, GicrType = 0x0E;
        /// <summary>ACPI 5.1's GICC entry (through the MPIDR); ACPI 6.0 made it 80, 6.3 82 bytes.</summary>
        public const uint GiccMinimumSize = 76;
        public const uint GicdSize = 24, GicrSize = 16;
        public const uint GtdtMinimumLength = 72;
        public const uint FadtArmBootFlagsOffset = 129;
        public const uint SpcrMinimumLength = 80;
        public const byte SpcrPl011 = 0x03, SpcrSbsa32 = 0x0D, SpcrSbsa = 0x0E;
        public const ushort PsciCompliant = 1, PsciUseHvc = 2;

        /// <summary>Reads all four tables; what is missing is left unset (see the Has* fields).</summary>
        public static void Read(ref AcpiTables tables, ArmFirmwareInfo* info)
        {
            ReadMadt(ref tables, info);
            ReadGtdt(ref tables, info);
            ReadFadt(ref tables, info);
            ReadSpcr(ref tables, info);
        }

        private static void Warn(ref AcpiTables tables, string table, uint offset, string why)
        {
            if (!tables.Quiet) Log.Warn("acpi", $"{table} entry at offset {offset}: {why}");
        }

        public static void ReadMadt(ref AcpiTables tables, ArmFirmwareInfo* info)
        {
            AcpiHeader* madt = tables.Find("APIC");
            if (madt == null) return;
            if (madt->Length < MadtEntries.FirstEntry)
            {
                Warn(ref tables, "MADT", 0, "table too short; ignored");
                return;
            }
            info->HasMadt = true;
            var entries = new MadtEntries(madt);
            byte type; byte* e; uint size;
            int gicds = 0, gicrs = 0;
            bool giccBases = false, giccBasesDiffer = false;
            // The GICC entries' GICR bases, kept apart until it is known there are no GICR entries.
            int giccRanges = 0;
            ulong* giccRedistributor = stackalloc ulong[Threading.Scheduler.MaxCpus];
            while (entries.Next(out type, out e, out size))
            {
                uint offset = (uint)(e - (byte*)madt);
                switch (type)
                {
                    case GiccType:
                        if (size < GiccMinimumSize) { Warn(ref tables, "MADT GICC", offset, "too short; ignored"); break; }
                        uint flags = *(uint*)(e + 12);
                        if ((flags & 1) == 0) { info->CpusDisabled++; break; }
                        ulong mpidr = *(ulong*)(e + 68);
                        if ((mpidr & ~0xFF00FFFFFFUL) != 0) { Warn(ref tables, "MADT GICC", offset, "MPIDR has bits outside the affinity fields; ignored"); break; }
                        info->AddCpu(mpidr);
                        ulong cpuInterface = *(ulong*)(e + 32);
                        if (!giccBases) { info->CpuInterfaceBase = cpuInterface; giccBases = true; }
                        else if (cpuInterface != info->CpuInterfaceBase) giccBasesDiffer = true;
                        ulong gicr = *(ulong*)(e + 60);
                        if (gicr != 0 && giccRanges < Threading.Scheduler.MaxCpus) giccRedistributor[giccRanges++] = gicr;
                        break;
                    case GicdType:
                        if (size < GicdSize) { Warn(ref tables, "MADT GICD", offset, "too short; ignored"); break; }
                        if (gicds++ > 0) { Warn(ref tables, "MADT GICD", offset, "a second distributor; ignored"); break; }
                        info->DistributorBase = *(ulong*)(e + 8);
                        info->GicVersionField = e[20];
                        break;
                    case GicrType:
                        if (size < GicrSize) { Warn(ref tables, "MADT GICR", offset, "too short; ignored"); break; }
                        ulong rangeBase = *(ulong*)(e + 4);
                        uint rangeLength = *(uint*)(e + 12);
                        if (rangeBase == 0 || rangeLength == 0) { Warn(ref tables, "MADT GICR", offset, "empty range; ignored"); break; }
                        if (!info->AddRange(rangeBase, rangeLength)) Warn(ref tables, "MADT GICR", offset, "too many ranges; ignored");
                        else gicrs++;
                        break;
                }
            }
            if (entries.Malformed)
                Warn(ref tables, "MADT", entries.BadOffset, "bad length; stopped reading");
            if (gicrs == 0 && giccRanges > 0)
            {
                for (int i = 0; i < giccRanges; i++) info->AddRange(giccRedistributor[i], ArmFirmwareInfo.RedistributorFrameSize);
                info->RedistributorsFromGicc = true;
            }
            if (giccBasesDiffer && !tables.Quiet)
                Log.Warn("acpi", $"MADT GICC entries name different CPU interface bases; using {info->CpuInterfaceBase:x}");
            if (gicds == 0 || info->DistributorBase == 0) return;
            switch (info->GicVersionField)
            {
                case 0: info->GicVersion = info->RedistributorRangeCount > 0 ? 3 : 2; break;
                case 1: case 2: info->GicVersion = 2; break;
                case 3: case 4: info->GicVersion = 3; break;
                default:
                    if (!tables.Quiet) Log.Warn("acpi", $"MADT GICD names GIC version {info->GicVersionField}, which is not supported");
                    break;
            }
        }

        public static void ReadGtdt(ref AcpiTables tables, ArmFirmwareInfo* info)
        {
            AcpiHeader* gtdt = tables.Find("GTDT");
            if (gtdt == null) return;
            if (gtdt->Length < GtdtMinimumLength) { Warn(ref tables, "GTDT", 0, "table too short; ignored"); return; }
            byte* p = (byte*)gtdt;
            info->VirtualTimerGsiv = *(uint*)(p + 64);
            info->VirtualTimerFlags = *(uint*)(p + 68);
            info->HasTimer = true;
        }

        public static void ReadFadt(ref AcpiTables tables, ArmFirmwareInfo* info)
        {
            AcpiHeader* fadt = tables.Find("FACP");
            if (fadt == null) return;
            // The ARM boot flags exist from FADT 5.1 on; an older, shorter FADT has none.
            if (fadt->Length < FadtArmBootFlagsOffset + 2) { Warn(ref tables, "FADT", 0, "too short for the ARM boot flags; no PSCI"); return; }
            ushort flags = *(ushort*)((byte*)fadt + FadtArmBootFlagsOffset);
            info->HasFadt = true;
            info->PsciCompliant = (flags & PsciCompliant) != 0;
            info->PsciUseHvc = (flags & PsciUseHvc) != 0;
        }

        public static void ReadSpcr(ref AcpiTables tables, ArmFirmwareInfo* info)
        {
            AcpiHeader* spcr = tables.Find("SPCR");
            if (spcr == null) return;
            if (spcr->Length < SpcrMinimumLength) { Warn(ref tables, "SPCR", 0, "table too short; ignored"); return; }
            byte* p = (byte*)spcr;
            // Base address: a Generic Address Structure at 40 (space id, bit width, bit offset, access size, address).
            if (p[40] != 0) { Warn(ref tables, "SPCR", 40, "the UART is not in memory space; ignored"); return; }
            ulong address = *(ulong*)(p + 44);
            if (address == 0) { Warn(ref tables, "SPCR", 44, "no UART address; ignored"); return; }
            info->ConsoleType = p[36];
            info->ConsoleBase = address;
            info->HasConsole = true;
        }

        /// <summary>The SPCR interface type's name, for the log.</summary>
        public static string ConsoleTypeName(byte type)
        {
            switch (type)
            {
                case 0x00: return "16550";
                case 0x01: return "16550 subset";
                case SpcrPl011: return "PL011";
                case SpcrSbsa32: return "SBSA generic UART (32-bit)";
                case SpcrSbsa: return "SBSA generic UART";
                case 0x12: return "16550-compatible";
                default: return "unknown UART";
            }
        }
    }
}
