using Molt.Console;

namespace Molt.Acpi
{
    /// <summary>
    /// What an x86 MADT ("APIC") says about interrupt hardware: the local APIC
    /// address, every enabled CPU's APIC id, the I/O APICs and the legacy IRQ
    /// overrides. Filled by <see cref="ApicTables.ReadMadt"/>; arch-neutral so
    /// its fixture tests run on both arches. <see cref="ApplyDefaults"/> gives
    /// the fallback the x86-64 HAL uses without a usable MADT.
    /// </summary>
    public unsafe struct ApicFacts
    {
        public const int MaxIoApics = 4;
        public const int MaxOverrides = 16;
        /// <summary>The architectural addresses, used when the MADT gives none.</summary>
        public const ulong DefaultLocalApic = 0xFEE00000, DefaultIoApic = 0xFEC00000;

        public bool HasMadt;
        public ulong LocalApicAddress;
        public int CpuCount;
        /// <summary>Enabled CPU entries left out: past Scheduler.MaxCpus.</summary>
        public int CpusDropped;
        public int IoApicCount;
        public int IoApicsDropped;
        public int OverrideCount;
        public int OverridesDropped;
        private fixed uint _apicIds[Threading.Scheduler.MaxCpus];
        private fixed ulong _ioApicAddress[MaxIoApics];
        private fixed uint _ioApicGsiBase[MaxIoApics];
        private fixed byte _overrideSource[MaxOverrides];
        private fixed uint _overrideGsi[MaxOverrides];
        private fixed ushort _overrideFlags[MaxOverrides];

        public uint ApicId(int cpu) => (uint)cpu < (uint)CpuCount ? _apicIds[cpu] : 0;
        public ulong IoApicAddress(int i) => _ioApicAddress[i];
        public uint IoApicGsiBase(int i) => _ioApicGsiBase[i];

        /// <summary>The GSI a legacy ISA IRQ arrives on, and its polarity/trigger flags (identity when no override names it).</summary>
        public uint IsaIrqToGsi(byte irq, out ushort flags)
        {
            for (int i = 0; i < OverrideCount; i++)
                if (_overrideSource[i] == irq) { flags = _overrideFlags[i]; return _overrideGsi[i]; }
            flags = 0;
            return irq;
        }

        /// <summary>Adds an enabled CPU; a repeated id is ignored.</summary>
        internal void AddCpu(uint apicId)
        {
            for (int i = 0; i < CpuCount; i++) if (_apicIds[i] == apicId) return;
            if (CpuCount >= Threading.Scheduler.MaxCpus) { CpusDropped++; return; }
            _apicIds[CpuCount++] = apicId;
        }

        internal void AddIoApic(ulong address, uint gsiBase)
        {
            if (IoApicCount >= MaxIoApics) { IoApicsDropped++; return; }
            _ioApicAddress[IoApicCount] = address;
            _ioApicGsiBase[IoApicCount] = gsiBase;
            IoApicCount++;
        }

        internal void AddOverride(byte source, uint gsi, ushort flags)
        {
            if (OverrideCount >= MaxOverrides) { OverridesDropped++; return; }
            _overrideSource[OverrideCount] = source;
            _overrideGsi[OverrideCount] = gsi;
            _overrideFlags[OverrideCount] = flags;
            OverrideCount++;
        }

        /// <summary>
        /// The fallbacks: no CPU listed means the boot CPU alone; no I/O APIC
        /// means one at <see cref="DefaultIoApic"/> with identity ISA routing;
        /// no MADT means the local APIC at <see cref="DefaultLocalApic"/>.
        /// Then <paramref name="bootApicId"/> moves to index 0 (added if the MADT missed it).
        /// </summary>
        public void ApplyDefaults(uint bootApicId)
        {
            if (LocalApicAddress == 0) LocalApicAddress = DefaultLocalApic;
            if (IoApicCount == 0) AddIoApic(DefaultIoApic, 0);
            MakeFirst(bootApicId);
        }

        /// <summary>Moves <paramref name="apicId"/> to index 0 (adding it if missing, in place of the last when full).</summary>
        public void MakeFirst(uint apicId)
        {
            int at = -1;
            for (int i = 0; i < CpuCount; i++) if (_apicIds[i] == apicId) at = i;
            if (at < 0)
            {
                if (CpuCount >= Threading.Scheduler.MaxCpus) CpuCount = Threading.Scheduler.MaxCpus - 1;
                at = CpuCount++;
                _apicIds[at] = apicId;
            }
            for (int i = at; i > 0; i--) _apicIds[i] = _apicIds[i - 1];
            _apicIds[0] = apicId;
        }
    }

    /// <summary>
    /// Reads the x86 interrupt structures of a MADT: processor local APIC
    /// (type 0) and local x2APIC (9) entries with the enabled or
    /// online-capable flag, I/O APICs (1), interrupt source overrides (2) and
    /// the local APIC address override (5). Every entry is length-checked
    /// before it is read (<see cref="MadtEntries"/> bounds the walk); a short
    /// one is skipped. Problems are logged unless the table set is quiet.
    /// </summary>
    public static unsafe class ApicTables
    {
        public const byte LocalApicType = 0, IoApicType = 1, OverrideType = 2, LocalApicAddressType = 5, LocalX2ApicType = 9;

        public static void ReadMadt(ref AcpiTables tables, ApicFacts* facts)
        {
            AcpiHeader* madt = tables.Find("APIC");
            if (madt == null) return;
            if (madt->Length < MadtEntries.FirstEntry)
            {
                if (!tables.Quiet) Log.Warn("acpi", $"MADT too short ({madt->Length} bytes); ignored");
                return;
            }
            facts->HasMadt = true;
            facts->LocalApicAddress = *(uint*)((byte*)madt + 36);
            var entries = new MadtEntries(madt);
            byte type; byte* e; uint size;
            while (entries.Next(out type, out e, out size))
            {
                switch (type)
                {
                    case LocalApicType when size >= 8:
                        if ((*(uint*)(e + 4) & 3) != 0) facts->AddCpu(e[3]);
                        break;
                    case LocalX2ApicType when size >= 16:
                        if ((*(uint*)(e + 8) & 3) != 0) facts->AddCpu(*(uint*)(e + 4));
                        break;
                    case IoApicType when size >= 12:
                        facts->AddIoApic(*(uint*)(e + 4), *(uint*)(e + 8));
                        break;
                    case OverrideType when size >= 10:
                        facts->AddOverride(e[3], *(uint*)(e + 4), *(ushort*)(e + 8));
                        break;
                    case LocalApicAddressType when size >= 12:
                        facts->LocalApicAddress = *(ulong*)(e + 4);
                        break;
                }
            }
            if (tables.Quiet) return;
            if (entries.Malformed) Log.Warn("acpi", $"MADT entry at offset {entries.BadOffset} has a bad size; stopped reading");
            if (facts->CpusDropped > 0) Log.Warn("acpi", $"MADT: more than {Threading.Scheduler.MaxCpus} CPUs; {facts->CpusDropped} left out");
            if (facts->IoApicsDropped > 0) Log.Warn("acpi", $"MADT: more than {ApicFacts.MaxIoApics} I/O APICs; {facts->IoApicsDropped} left out");
            if (facts->OverridesDropped > 0) Log.Warn("acpi", $"MADT: more than {ApicFacts.MaxOverrides} IRQ overrides; {facts->OverridesDropped} left out");
        }
    }
}
