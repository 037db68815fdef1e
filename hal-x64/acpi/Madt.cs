using Molt.Acpi;
using Molt.Console;

namespace Molt.Arch.X64
{
    /// <summary>
    /// What the MADT ("APIC") says about interrupt hardware: the local APIC
    /// address, every enabled CPU's APIC id, the I/O APICs and the legacy
    /// IRQ overrides. Without a usable MADT the fallback is one CPU (the boot
    /// CPU), the local APIC at its architectural address and one I/O APIC at
    /// 0xFEC00000 with identity ISA routing.
    /// </summary>
    internal static unsafe class Madt
    {
        public const int MaxCpus = 64;
        public const int MaxIoApics = 4;
        public const int MaxOverrides = 16;

        public struct IoApicInfo { public uint Id; public ulong Address; public uint GsiBase; }
        public struct Override { public byte Source; public uint Gsi; public ushort Flags; }

        private struct Tables
        {
            public fixed uint ApicIds[MaxCpus];
            public fixed ulong IoApicAddress[MaxIoApics];
            public fixed uint IoApicGsiBase[MaxIoApics];
            public fixed byte OverrideSource[MaxOverrides];
            public fixed uint OverrideGsi[MaxOverrides];
            public fixed ushort OverrideFlags[MaxOverrides];
        }

        private static Tables s;
        public static int CpuCount;
        public static int IoApicCount;
        public static int OverrideCount;
        public static ulong LocalApicAddress = 0xFEE00000;
        public static bool FromFirmware;

        public static uint ApicId(int cpu) => s.ApicIds[cpu];
        public static ulong IoApicAddress(int i) => s.IoApicAddress[i];
        public static uint IoApicGsiBase(int i) => s.IoApicGsiBase[i];

        /// <summary>The GSI a legacy ISA IRQ arrives on, and its polarity/trigger flags.</summary>
        public static uint IsaIrqToGsi(byte irq, out ushort flags)
        {
            for (int i = 0; i < OverrideCount; i++)
                if (s.OverrideSource[i] == irq) { flags = s.OverrideFlags[i]; return s.OverrideGsi[i]; }
            flags = 0;
            return irq;
        }

        public static void Initialize(uint bootApicId)
        {
            AcpiHeader* madt = AcpiFirmware.Find("APIC");
            if (madt != null) Parse(madt);
            if (CpuCount == 0)
            {
                if (madt != null) Log.Warn("acpi", $"MADT lists no usable CPU; using the boot CPU only");
                s.ApicIds[0] = bootApicId;
                CpuCount = 1;
            }
            if (IoApicCount == 0)
            {
                s.IoApicAddress[0] = 0xFEC00000;
                s.IoApicGsiBase[0] = 0;
                IoApicCount = 1;
            }
            FromFirmware = madt != null;
            Log.Info("acpi", $"{CpuCount} CPUs, {IoApicCount} I/O APIC(s), {OverrideCount} IRQ overrides, local APIC at {LocalApicAddress:x}");
        }

        private static void Parse(AcpiHeader* madt)
        {
            if (madt->Length < MadtEntries.FirstEntry) { Log.Warn("acpi", $"MADT too short ({madt->Length} bytes); ignored"); return; }
            LocalApicAddress = *(uint*)((byte*)madt + 36);
            var entries = new MadtEntries(madt);
            byte type; byte* e; uint size;
            while (entries.Next(out type, out e, out size))
            {
                switch (type)
                {
                    case 0 when size >= 8: // processor local APIC
                        if ((*(uint*)(e + 4) & 3) != 0) AddCpu(e[3]);
                        break;
                    case 9 when size >= 16: // processor local x2APIC
                        if ((*(uint*)(e + 8) & 3) != 0) AddCpu(*(uint*)(e + 4));
                        break;
                    case 1 when size >= 12: // I/O APIC
                        if (IoApicCount < MaxIoApics)
                        {
                            s.IoApicAddress[IoApicCount] = *(uint*)(e + 4);
                            s.IoApicGsiBase[IoApicCount] = *(uint*)(e + 8);
                            IoApicCount++;
                        }
                        break;
                    case 2 when size >= 10: // interrupt source override
                        if (OverrideCount < MaxOverrides)
                        {
                            s.OverrideSource[OverrideCount] = e[3];
                            s.OverrideGsi[OverrideCount] = *(uint*)(e + 4);
                            s.OverrideFlags[OverrideCount] = *(ushort*)(e + 8);
                            OverrideCount++;
                        }
                        break;
                    case 5 when size >= 12: // local APIC address override
                        LocalApicAddress = *(ulong*)(e + 4);
                        break;
                }
            }
            if (entries.Malformed)
                Log.Warn("acpi", $"MADT entry at offset {entries.BadOffset} has a bad size; stopped reading");
        }

        /// <summary>Moves <paramref name="apicId"/> to index 0 (adding it if the MADT missed it), so index 0 is the boot CPU.</summary>
        public static void MakeFirst(uint apicId)
        {
            int at = -1;
            for (int i = 0; i < CpuCount; i++) if (s.ApicIds[i] == apicId) at = i;
            if (at < 0)
            {
                if (CpuCount >= MaxCpus) CpuCount = MaxCpus - 1;
                at = CpuCount++;
                s.ApicIds[at] = apicId;
            }
            for (int i = at; i > 0; i--) s.ApicIds[i] = s.ApicIds[i - 1];
            s.ApicIds[0] = apicId;
        }

        private static void AddCpu(uint apicId)
        {
            for (int i = 0; i < CpuCount; i++) if (s.ApicIds[i] == apicId) return;
            if (CpuCount >= MaxCpus)
            {
                Log.Warn("acpi", $"more than {MaxCpus} CPUs; ignoring APIC id {apicId}");
                return;
            }
            s.ApicIds[CpuCount++] = apicId;
        }
    }
}
