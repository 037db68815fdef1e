using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Molt.Acpi;
using Molt.Boot;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Time;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// What the machine has: its CPUs (MPIDR affinities, boot CPU first),
    /// how to reach PSCI firmware, and (through <see cref="Gic"/> and
    /// <see cref="Timer"/>) its interrupt controller and timer.
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

        public static int Discover()
        {
            uint boot = Pack(Native.ReadMpidr());
            DeviceTree tree = default;
            bool haveTree = false;
            BootInfo* info = Kernel.Boot;
            if (info->DeviceTree != 0)
            {
                string error = DeviceTree.Open((byte*)(info->DeviceTree + info->DirectMapOffset), 64 * 1024 * 1024, out tree);
                if (error != null) Log.Warn("dt", $"{error}: no CPUs or interrupt controller from it");
                else haveTree = true;
            }
            bool fromTree = haveTree && Gic.Discover(ref tree);
            ArmFirmwareInfo* acpi = null;
            if (fromTree)
            {
                Timer.Discover(ref tree);
                ReadPsci(ref tree);
            }
            else
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
            else if (fromTree) { ReadCpus(ref tree); source = "the device tree"; }
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
            if (a->CpusDropped > 0) Log.Warn("acpi", $"MADT: {a->CpusDropped} enabled GICC entries dropped (duplicate MPIDR, or more than {ArmFirmwareInfo.MaxCpus} CPUs)");

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

        private static void ReadCpus(ref DeviceTree tree)
        {
            int cpus = tree.FindNode("/cpus");
            if (cpus < 0) return;
            uint cells = tree.AddressCells(cpus);
            int node = cpus, depth = 1, skipped = 0;
            while (tree.NextNode(ref node, ref depth) && depth > 1)
            {
                if (depth != 2) continue;
                int n;
                byte* type = tree.GetString(node, "device_type", out n);
                if (type == null || n != 3 || type[0] != 'c' || type[1] != 'p' || type[2] != 'u' || !tree.IsEnabled(node)) continue;
                byte* reg; int length;
                if (!tree.GetProperty(node, "reg", out reg, out length) || length < 4 * cells || cells < 1 || cells > 2) continue;
                ulong mpidr = cells == 1 ? DeviceTree.ReadBE32(reg) : DeviceTree.ReadBE64(reg);
                byte* method = tree.GetString(node, "enable-method", out n);
                bool psci = method == null || (n == 4 && method[0] == 'p' && method[1] == 's' && method[2] == 'c' && method[3] == 'i');
                if (!psci && Pack(mpidr) != Pack(Native.ReadMpidr())) { skipped++; continue; }
                Add(Pack(mpidr));
            }
            if (skipped > 0) Log.Warn("smp", $"{skipped} CPUs use an enable-method other than PSCI (spin-table is not supported); left off");
        }

        private static void ReadPsci(ref DeviceTree tree)
        {
            int node = tree.FindCompatible("arm,psci-1.0");
            if (node < 0) node = tree.FindCompatible("arm,psci-0.2");
            bool v02 = node >= 0;
            if (node < 0) node = tree.FindCompatible("arm,psci");
            if (node < 0) return;
            int n;
            byte* method = tree.GetString(node, "method", out n);
            if (method == null || n != 3) return;
            if (method[0] == 'h' && method[1] == 'v' && method[2] == 'c') s_psciConduit = 1;
            else if (method[0] == 's' && method[1] == 'm' && method[2] == 'c') s_psciConduit = 2;
            if (!v02) s_psciCpuOn = tree.GetU32(node, "cpu_on", 0); // PSCI 0.1: the ids are in the tree
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

    /// <summary>
    /// Starts application processors, one at a time:
    /// 1. Allocate the CPU's exception stack (SP_EL1) and its exception
    ///    nesting counter, and fill an <see cref="ApStart"/> block in a frame
    ///    of its own (kept: a CPU that comes up late still reads it).
    /// 2. Direct boot: PSCI CPU_ON(MPIDR, physical address of molt_ap_entry,
    ///    physical address of the block). The block and the identity table
    ///    are cleaned to memory first, since the CPU reads them with its MMU
    ///    and caches off. Under Limine: store the block's address in the CPU's
    ///    extra_argument, then molt_limine_ap_entry in goto_address (a release
    ///    store: Limine's parked CPU polls it).
    /// 3. boot/ap.S sets the CPU up and calls molt_ap_main(index), which
    ///    continues in Processors.ApplicationProcessorMain.
    /// 4. Wait up to a second for the CPU to mark itself online.
    /// </summary>
    internal static unsafe class ApplicationProcessors
    {
        private const ulong ExceptionStackSize = 16 * 1024;

        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_ap_entry_address();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_limine_ap_entry_address();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_vectors_address();

        /// <summary>Mirror of the block boot/ap.S reads.</summary>
        [StructLayout(LayoutKind.Sequential)]
        private struct ApStart
        {
            public ulong Ttbr0, Ttbr1, Tcr, Mair, Sctlr, Vbar;
            public ulong ExceptionStackTop, ExceptionDepth, StackTop, CpuIndex;
        }

        private static ulong s_identityRoot;

        /// <summary>A TTBR0 table mapping the kernel text at its physical address, for the instructions that turn the MMU on.</summary>
        private static ulong IdentityRoot()
        {
            if (s_identityRoot != 0) return s_identityRoot;
            ulong root = PageTables.CreateRoot();
            ulong phys = Kernel.Boot->KernelPhysicalBase;
            if (root == 0 || !PageTables.Map(root, phys, phys, Layout.TextEnd - Layout.KernelStart, PageAccess.Read | PageAccess.Execute))
                Panic.Fail("out of memory for the application processors' identity map");
            s_identityRoot = root;
            return root;
        }

        /// <summary>Cleans every table under <paramref name="table"/> (levels 0-2) to memory.</summary>
        private static void CleanTables(ulong table, int level)
        {
            ulong* t = (ulong*)FrameAllocator.ToVirtual(table);
            Native.CleanDataCache(t, 4096);
            if (level == 3) return;
            for (int i = 0; i < 512; i++)
                if ((t[i] & 3) == 3) CleanTables(t[i] & 0x0000FFFFFFFFF000, level + 1);
        }

        private static ulong Physical(ulong kernelVirtual) => kernelVirtual - Layout.KernelStart + Kernel.Boot->KernelPhysicalBase;

        public static bool Start(int index, ulong stackTop)
        {
            uint id = Machine.HardwareId(index);
            ulong frame = FrameAllocator.Allocate();
            ulong exceptionStack = FrameAllocator.AllocateContiguous(ExceptionStackSize / 4096);
            if (frame == 0 || exceptionStack == 0) { Log.Warn("smp", $"no memory to start CPU {index}"); return false; }
            byte* page = (byte*)FrameAllocator.ToVirtual(frame);
            for (int i = 0; i < 4096; i++) page[i] = 0;
            var block = (ApStart*)page;
            block->Ttbr1 = KernelAddressSpace.Root;
            block->Tcr = Native.ReadTcr();
            block->Mair = Native.ReadMair();
            block->Sctlr = Native.ReadSctlr();
            block->Vbar = molt_vectors_address();
            block->ExceptionStackTop = (ulong)FrameAllocator.ToVirtual(exceptionStack) + ExceptionStackSize;
            block->ExceptionDepth = (ulong)(page + 256); // a zeroed word in the same frame
            block->StackTop = stackTop;
            block->CpuIndex = (ulong)index;
            CpuLocal* cpu = Processors.Get(index);

            if (Kernel.Boot->LimineMp != 0)
            {
                Machine.LimineMpInfo* info = Machine.LimineInfo(id);
                if (info == null) { Log.Warn("smp", $"CPU {index} (MPIDR affinity {id:x}) is not in Limine's MP response"); return false; }
                info->ExtraArgument = (ulong)block;
                Volatile.Write(ref *(long*)&info->GotoAddress, (long)molt_limine_ap_entry_address());
            }
            else
            {
                block->Ttbr0 = IdentityRoot();
                Native.CleanDataCache(block, (ulong)sizeof(ApStart));
                CleanTables(block->Ttbr0, 0);
                long status = Machine.CpuOn(id, Physical(molt_ap_entry_address()), frame);
                if (status != 0)
                {
                    Log.Warn("smp", $"PSCI CPU_ON for CPU {index} (MPIDR affinity {id:x}) failed: {PsciError(status)}");
                    return false;
                }
            }
            ulong deadline = Clock.NanosecondsSinceBoot() + 1_000_000_000;
            while (Volatile.Read(in cpu->Online) == 0 && Clock.NanosecondsSinceBoot() < deadline) Hal.Cpu.Relax();
            return Volatile.Read(in cpu->Online) != 0;
        }

        private static string PsciError(long status)
        {
            switch (status)
            {
                case -1: return "NOT_SUPPORTED";
                case -2: return "INVALID_PARAMETERS";
                case -3: return "DENIED";
                case -4: return "ALREADY_ON";
                case -5: return "ON_PENDING";
                case -6: return "INTERNAL_FAILURE";
                case -9: return "INVALID_ADDRESS";
                default: return "error";
            }
        }

        [UnmanagedCallersOnly(EntryPoint = "molt_ap_main")]
        private static void Main(int index) => Processors.ApplicationProcessorMain(index);
    }
}
