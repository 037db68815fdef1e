using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Molt.Acpi;
using Molt.Boot;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// What the machine has: its CPUs (MPIDR affinities, boot CPU first),
    /// how to reach PSCI firmware, and (through <see cref="Gic"/> and
    /// <see cref="Timer"/>) its interrupt controller and timer.
    /// The facts come from the arch-neutral parsers in kernel/Firmware
    /// (<see cref="ArmMachineTree"/>, <see cref="ArmTables"/>); this class only
    /// chooses between them and hands them to the GIC, the timer, the console and PSCI.
    /// 1. The device tree (BootInfo.DeviceTree), when there is one naming a
    ///    GIC, gives the GIC, the timer's PPI and /psci ("method" hvc or smc).
    /// 2. Else ACPI (BootInfo.Rsdp; UEFI firmware such as AAVMF passes no
    ///    device tree when it passes ACPI tables): the MADT gives the GIC
    ///    (GICD, GICR ranges or each GICC's redistributor, the GICv2 CPU
    ///    interface), the GTDT the virtual timer's GSIV, the FADT's ARM boot
    ///    flags PSCI and its conduit (<see cref="ArmTables"/>).
    /// 3. The CPUs come from Limine's MP response under Limine, else from the
    ///    /cpus nodes with device_type "cpu" (reg = MPIDR affinity), enabled,
    ///    started by "psci" (spin-table CPUs are left out, with a warning), or
    ///    from the MADT's enabled GICC entries.
    /// 4. The boot CPU's MPIDR is moved to index 0.
    /// Hardware ids pack the affinity fields as Aff3:Aff2:Aff1:Aff0, one byte
    /// each: the layout of GICR_TYPER's upper half.
    /// </summary>
    internal static unsafe class Machine
    {
        private struct Ids { public fixed uint Values[Threading.Scheduler.MaxCpus]; }
        private static Ids s_ids;
        private static int s_count;
        private static int s_psciConduit; // 0 none, 1 hvc, 2 smc
        private static ulong s_psciCpuOn = 0xC4000003; // CPU_ON, SMC64 convention
        private static ArmFirmwareInfo s_acpi;

        public static int CpuCount => s_count;
        public static uint HardwareId(int index) => s_ids.Values[index];
        public static bool HasPsci => s_psciConduit != 0;
        /// <summary>What ACPI's tables said (filled as they are read: the SPCR at boot, the rest by <see cref="Discover"/>).</summary>
        public static ArmFirmwareInfo* AcpiInfo => (ArmFirmwareInfo*)Unsafe.AsPointer(ref s_acpi);

        public static uint Pack(ulong mpidr) => (uint)(mpidr & 0xFFFFFF) | (uint)((mpidr >> 32) & 0xFF) << 24;
        public static ulong Unpack(uint id) => (ulong)(id & 0xFFFFFF) | (ulong)(id >> 24) << 32;

        private static ArmTreeFacts s_tree;
        /// <summary>What the device tree said (filled by <see cref="Discover"/> when there is one).</summary>
        public static ArmTreeFacts* TreeInfo => (ArmTreeFacts*)Unsafe.AsPointer(ref s_tree);

        public static int Discover()
        {
            uint boot = Pack(Native.ReadMpidr());
            bool haveTree = false;
            BootInfo* info = Kernel.Boot;
            if (info->DeviceTree != 0)
            {
                DeviceTree tree;
                string error = DeviceTree.Open((byte*)(info->DeviceTree + info->DirectMapOffset), 64 * 1024 * 1024, out tree);
                if (error != null) Log.Warn("dt", $"{error}: no CPUs or interrupt controller from it");
                else { ArmMachineTree.Read(ref tree, TreeInfo, Native.ReadMpidr()); haveTree = true; }
            }
            bool fromTree = haveTree && UseTree(TreeInfo);
            ArmFirmwareInfo* acpi = null;
            if (!fromTree)
            {
                if (haveTree) Log.Warn("dt", $"the device tree names no GIC this kernel drives{(info->Rsdp != 0 ? "; trying ACPI" : "")}");
                acpi = ReadAcpi(info);
                if (acpi == null)
                    Panic.Fail(info->Rsdp == 0
                        ? "no GIC in the device tree and no ACPI tables: AArch64 needs one for its timer and IPIs"
                        : "no GIC in the device tree or the ACPI MADT: AArch64 needs one for its timer and IPIs");
            }

            string source;
            if (info->LimineMp != 0) { ReadLimine((LimineMpResponse*)info->LimineMp); source = "Limine's MP response"; }
            else if (fromTree)
            {
                for (int i = 0; i < s_tree.CpuCount; i++) Add(Pack(s_tree.Mpidr(i)));
                if (s_tree.CpusSkipped > 0) Log.Warn("smp", $"{s_tree.CpusSkipped} CPUs use an enable-method other than PSCI (spin-table is not supported); left off");
                source = "the device tree";
            }
            else
            {
                for (int i = 0; i < acpi->CpuCount; i++) Add(Pack(acpi->Mpidr(i)));
                source = "the ACPI MADT";
            }

            // The boot CPU first; if the list missed it, it is the only CPU.
            int at = -1;
            for (int i = 0; i < s_count; i++) if (s_ids.Values[i] == boot) at = i;
            if (at < 0) { Log.Warn("smp", $"boot CPU {boot:x} is not in {source}: running on it alone"); s_ids.Values[0] = boot; s_count = 1; }
            else { s_ids.Values[at] = s_ids.Values[0]; s_ids.Values[0] = boot; }
            if (s_count > 1 && info->LimineMp == 0 && !HasPsci)
            {
                Log.Warn("smp", $"no PSCI in {(fromTree ? "the device tree" : "the ACPI FADT")}: the other {s_count - 1} CPUs cannot be started");
                s_count = 1;
            }
            Log.Info("smp", $"{s_count} CPUs from {source}, boot CPU MPIDR affinity {boot:x}{(HasPsci ? (s_psciConduit == 1 ? ", PSCI via hvc" : ", PSCI via smc") : "")}");
            return s_count;
        }

        /// <summary>The device-tree path: configures the GIC, the timer's INTID and PSCI from its facts; false when it names no GIC.</summary>
        private static bool UseTree(ArmTreeFacts* t)
        {
            if (t->GicVersion == 0) return false;
            Gic.Configure(t->GicVersion, t->DistributorBase, t->GicVersion == 2 ? t->CpuInterfaceBase : 0, t->RedistributorStride);
            if (t->GicVersion == 3)
                for (int i = 0; i < t->RedistributorRangeCount; i++) Gic.AddRedistributorRange(t->RedistributorBase(i), t->RedistributorLength(i));
            if (t->TimerIntId != 0) Timer.UseIntId((uint)t->TimerIntId);
            s_psciConduit = t->PsciConduit;
            s_psciCpuOn = t->PsciCpuOn;
            return true;
        }

        /// <summary>
        /// The ACPI path: opens the tables (if the console's SPCR did not
        /// already), reads MADT, GTDT and FADT, and configures the GIC, the
        /// timer's INTID and the PSCI conduit from them. Null, with the reason
        /// logged, when they describe no GIC this kernel drives.
        /// </summary>
        private static ArmFirmwareInfo* ReadAcpi(BootInfo* info)
        {
            if (info->Rsdp == 0 || !AcpiFirmware.Initialize(info->Rsdp, info->DirectMapOffset)) return null;
            ArmFirmwareInfo* a = AcpiInfo;
            if (info->DeviceTree == 0) ConsoleFromSpcr(a);
            ArmTables.ReadMadt(ref AcpiFirmware.Tables, a);
            ArmTables.ReadGtdt(ref AcpiFirmware.Tables, a);
            ArmTables.ReadFadt(ref AcpiFirmware.Tables, a);
            if (!a->HasMadt) { Log.Warn("acpi", $"no valid MADT"); return null; }
            if (a->GicVersion == 0) { Log.Warn("acpi", $"the MADT has no usable GIC distributor (GICD) entry"); return null; }
            if (a->GicVersion == 2 && a->CpuInterfaceBase == 0) { Log.Warn("acpi", $"GICv2 without a CPU interface address in the MADT's GICC entries"); return null; }
            if (a->GicVersion == 3 && a->RedistributorRangeCount == 0) { Log.Warn("acpi", $"GICv3 without redistributors in the MADT (no GICR entries, no GICR base in the GICC entries)"); return null; }
            Gic.Configure(a->GicVersion, a->DistributorBase, a->GicVersion == 2 ? a->CpuInterfaceBase : 0, 0);
            if (a->GicVersion == 3)
                for (int i = 0; i < a->RedistributorRangeCount; i++) Gic.AddRedistributorRange(a->RedistributorBase(i), a->RedistributorLength(i));
            if (a->GicVersion == 3)
                Log.Info("acpi", $"MADT: {a->CpuCount} CPUs, GIC distributor at {a->DistributorBase:x} (version field {a->GicVersionField}), {a->RedistributorRangeCount} redistributor {(a->RedistributorRangeCount == 1 ? "range" : "ranges")}{(a->RedistributorsFromGicc ? " from the GICC entries" : "")}");
            else
                Log.Info("acpi", $"MADT: {a->CpuCount} CPUs, GIC distributor at {a->DistributorBase:x} (version field {a->GicVersionField}), CPU interface at {a->CpuInterfaceBase:x}");
            if (a->CpusDisabled > 0) Log.Info("acpi", $"MADT: {a->CpusDisabled} GICC entries not enabled, left out");
            if (a->CpusDropped > 0) Log.Warn("acpi", $"MADT: {a->CpusDropped} enabled GICC entries dropped (duplicate MPIDR, or more than {Threading.Scheduler.MaxCpus} CPUs)");

            if (!a->HasTimer) Log.Warn("acpi", $"no GTDT: the virtual timer is taken to be INTID {Timer.IntId}");
            else if (!Timer.UseIntId(a->VirtualTimerGsiv)) Log.Warn("acpi", $"the GTDT's virtual timer GSIV {a->VirtualTimerGsiv} is not a PPI; using INTID {Timer.IntId}");
            else Log.Info("acpi", $"GTDT: virtual timer GSIV {a->VirtualTimerGsiv}, {((a->VirtualTimerFlags & 1) != 0 ? "edge" : "level")}-triggered, active {((a->VirtualTimerFlags & 2) != 0 ? "low" : "high")}");

            if (!a->HasFadt) Log.Warn("acpi", $"no FADT with ARM boot flags: no PSCI");
            else if (!a->PsciCompliant) Log.Warn("acpi", $"the FADT says the firmware is not PSCI compliant (the parking protocol is not supported)");
            else
            {
                s_psciConduit = a->PsciUseHvc ? 1 : 2;
                Log.Info("acpi", $"FADT: PSCI compliant, conduit {(a->PsciUseHvc ? "hvc" : "smc")}");
            }
            return a;
        }

        /// <summary>
        /// Moves the console to the UART ACPI's SPCR names, if it is one the
        /// PL011 driver runs (a PL011 or an SBSA generic UART in memory
        /// space); its registers are mapped as Device memory first.
        /// </summary>
        private static void ConsoleFromSpcr(ArmFirmwareInfo* a)
        {
            ArmTables.ReadSpcr(ref AcpiFirmware.Tables, a);
            if (!a->HasConsole) { Log.Warn("acpi", $"no usable SPCR: the console stays at {DebugConsole.Physical:x}"); return; }
            string kind = ArmTables.ConsoleTypeName(a->ConsoleType);
            if (!a->ConsoleIsPl011Like)
            {
                Log.Warn("acpi", $"the SPCR's console is a {kind} at {a->ConsoleBase:x}, which this kernel does not drive; it stays at {DebugConsole.Physical:x}");
                return;
            }
            if (a->ConsoleBase != DebugConsole.Physical)
            {
                if (KernelAddressSpace.MapPhysical(a->ConsoleBase & ~0xFFFUL, 0x1000, PageAccess.Read | PageAccess.Write | PageAccess.Device) == null)
                {
                    Log.Warn("acpi", $"cannot map the SPCR's UART at {a->ConsoleBase:x}");
                    return;
                }
                DebugConsole.Relocate(a->ConsoleBase, Kernel.Boot->DirectMapOffset, a->ConsoleType == ArmTables.SpcrPl011);
            }
            Log.Info("acpi", $"SPCR: console {kind} at {a->ConsoleBase:x}");
        }

        private static void Add(uint id)
        {
            if (s_count < Threading.Scheduler.MaxCpus) s_ids.Values[s_count++] = id;
        }

        /// <summary>A PSCI call through the conduit the device tree or the FADT names.</summary>
        public static long Psci(ulong function, ulong a1, ulong a2, ulong a3)
            => s_psciConduit == 1 ? Native.PsciHvc(function, a1, a2, a3) : Native.PsciSmc(function, a1, a2, a3);

        public static long CpuOn(uint hardwareId, ulong entryPhysical, ulong contextId)
            => s_psciCpuOn == 0 ? -1 : Psci(s_psciCpuOn, Unpack(hardwareId), entryPhysical, contextId);

        [StructLayout(LayoutKind.Sequential)]
        public struct LimineMpResponse { public ulong Revision; public ulong Flags; public ulong BspMpidr; public ulong CpuCount; public LimineMpInfo** Cpus; }

        /// <summary>Limine's per-CPU record on aarch64.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct LimineMpInfo { public uint ProcessorId; public uint Reserved1; public ulong Mpidr; public ulong Reserved; public ulong GotoAddress; public ulong ExtraArgument; }

        private static void ReadLimine(LimineMpResponse* mp)
        {
            for (ulong i = 0; i < mp->CpuCount; i++) Add(Pack(mp->Cpus[i]->Mpidr));
        }

        public static LimineMpInfo* LimineInfo(uint hardwareId)
        {
            var mp = (LimineMpResponse*)Kernel.Boot->LimineMp;
            for (ulong i = 0; i < mp->CpuCount; i++)
                if (Pack(mp->Cpus[i]->Mpidr) == hardwareId) return mp->Cpus[i];
            return null;
        }
    }
}
