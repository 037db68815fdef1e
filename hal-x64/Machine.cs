using System.Runtime.CompilerServices;
using Molt.Acpi;
using Molt.Console;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The x86-64 machine as the HAL consumes it: facts read by the
    /// arch-neutral parsers in kernel/Firmware (the MADT's CPUs, APICs and IRQ
    /// overrides, the MCFG's ECAM windows), with the PC fallbacks applied.
    /// </summary>
    internal static unsafe class Machine
    {
        private static ApicFacts s_apics;
        private static PciEcamFacts s_pci;

        public static ApicFacts* Apics => (ApicFacts*)Unsafe.AsPointer(ref s_apics);
        /// <summary>PCI Express configuration windows (none without an MCFG: then configuration goes through ports 0xCF8/0xCFC).</summary>
        public static PciEcamFacts* PciEcam => (PciEcamFacts*)Unsafe.AsPointer(ref s_pci);

        public static int CpuCount => s_apics.CpuCount;
        public static uint ApicId(int cpu) => s_apics.ApicId(cpu);

        /// <summary>Reads the facts (after AcpiFirmware is open, if there is ACPI) and puts the boot CPU first; returns the CPU count.</summary>
        public static int Discover(uint bootApicId)
        {
            if (AcpiFirmware.Available)
            {
                ApicTables.ReadMadt(ref AcpiFirmware.Tables, Apics);
                PciTables.ReadMcfg(ref AcpiFirmware.Tables, PciEcam);
            }
            if (s_apics.HasMadt && s_apics.CpuCount == 0) Log.Warn("acpi", $"MADT lists no usable CPU; using the boot CPU only");
            s_apics.ApplyDefaults(bootApicId);
            Log.Info("acpi", $"{s_apics.CpuCount} CPUs, {s_apics.IoApicCount} I/O APIC(s), {s_apics.OverrideCount} IRQ overrides, local APIC at {s_apics.LocalApicAddress:x}");
            if (!s_pci.HasMcfg) Log.Info("pci", $"no MCFG: configuration through I/O ports");
            // The ECAM window in use is logged once, by the PCI driver (kernel/Drivers/Pci/PciBus.cs).
            return s_apics.CpuCount;
        }
    }
}
