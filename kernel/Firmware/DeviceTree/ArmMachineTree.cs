namespace Molt.Boot
{
    /// <summary>
    /// What an Arm machine's device tree says, in the form the AArch64 HAL
    /// uses (the same facts <see cref="Acpi.ArmFirmwareInfo"/> holds for ACPI):
    /// the GIC, the virtual timer's interrupt, PSCI, and the CPUs.
    /// Filled by <see cref="ArmMachineTree.Read"/>; arch-neutral so its
    /// fixture tests run on both arches.
    /// </summary>
    public unsafe struct ArmTreeFacts
    {
        public const int MaxRedistributorRanges = Threading.Scheduler.MaxCpus;
        /// <summary>PSCI 0.2 and later: CPU_ON, SMC64 convention.</summary>
        public const ulong PsciCpuOnDefault = 0xC4000003;
        public const int PsciNone = 0, PsciHvc = 1, PsciSmc = 2;

        /// <summary>2 or 3, 0 when the tree names no GIC this kernel drives.</summary>
        public int GicVersion;
        public ulong DistributorBase;
        /// <summary>GICv2: the CPU interface.</summary>
        public ulong CpuInterfaceBase;
        /// <summary>GICv3: "redistributor-stride", 0 when not given (the frames' own size then).</summary>
        public ulong RedistributorStride;
        public int RedistributorRangeCount;
        private fixed ulong _rangeBase[MaxRedistributorRanges];
        private fixed ulong _rangeLength[MaxRedistributorRanges];

        /// <summary>The virtual timer's INTID (16 + its PPI number), 0 when the tree does not say.</summary>
        public int TimerIntId;

        /// <summary><see cref="PsciNone"/>, <see cref="PsciHvc"/> or <see cref="PsciSmc"/>.</summary>
        public int PsciConduit;
        /// <summary>The CPU_ON function id: <see cref="PsciCpuOnDefault"/>, or PSCI 0.1's "cpu_on" (0 if absent).</summary>
        public ulong PsciCpuOn;

        public int CpuCount;
        /// <summary>CPUs left out because their enable-method is not PSCI (spin-table), the boot CPU excepted.</summary>
        public int CpusSkipped;
        private fixed ulong _mpidr[Threading.Scheduler.MaxCpus];

        public ulong Mpidr(int index) => (uint)index < (uint)CpuCount ? _mpidr[index] : 0;
        public ulong RedistributorBase(int index) => _rangeBase[index];
        public ulong RedistributorLength(int index) => _rangeLength[index];

        internal void AddCpu(ulong mpidr)
        {
            if (CpuCount < Threading.Scheduler.MaxCpus) _mpidr[CpuCount++] = mpidr;
        }

        internal void AddRange(ulong bas, ulong length)
        {
            if (RedistributorRangeCount >= MaxRedistributorRanges || length == 0) return;
            _rangeBase[RedistributorRangeCount] = bas;
            _rangeLength[RedistributorRangeCount] = length;
            RedistributorRangeCount++;
        }
    }

    /// <summary>
    /// Reads an Arm machine's facts from its device tree:
    /// <list type="bullet">
    /// <item>GIC: "arm,gic-v3" (reg: distributor, then #redistributor-regions
    ///       redistributor ranges; "redistributor-stride"), else a GICv2
    ///       ("arm,cortex-a15-gic", "arm,gic-400", "arm,cortex-a9-gic",
    ///       "arm,cortex-a7-gic"; reg: distributor, CPU interface).</item>
    /// <item>Timer: "arm,armv8-timer" interrupts, four (type, number, flags)
    ///       triples: secure, non-secure, virtual, hypervisor; the virtual one
    ///       must be a PPI (type 1).</item>
    /// <item>PSCI: "arm,psci-1.0", "arm,psci-0.2" or "arm,psci", "method" hvc
    ///       or smc; PSCI 0.1 names its function ids ("cpu_on").</item>
    /// <item>CPUs: /cpus children with device_type "cpu", enabled, reg = MPIDR
    ///       affinity (1 or 2 cells), started by "psci" (or no enable-method);
    ///       others are counted in CpusSkipped, except the boot CPU.</item>
    /// </list>
    /// </summary>
    public static unsafe class ArmMachineTree
    {
        /// <summary>Fills <paramref name="facts"/>; <paramref name="bootMpidr"/> is kept whatever its enable-method.</summary>
        public static void Read(ref DeviceTree tree, ArmTreeFacts* facts, ulong bootMpidr)
        {
            facts->PsciCpuOn = ArmTreeFacts.PsciCpuOnDefault;
            ReadGic(ref tree, facts);
            ReadTimer(ref tree, facts);
            ReadPsci(ref tree, facts);
            ReadCpus(ref tree, facts, bootMpidr);
        }

        private static void ReadGic(ref DeviceTree tree, ArmTreeFacts* facts)
        {
            int node = tree.FindCompatible("arm,gic-v3");
            int version = 3;
            if (node < 0)
            {
                version = 2;
                node = tree.FindCompatible("arm,cortex-a15-gic");
                if (node < 0) node = tree.FindCompatible("arm,gic-400");
                if (node < 0) node = tree.FindCompatible("arm,cortex-a9-gic");
                if (node < 0) node = tree.FindCompatible("arm,cortex-a7-gic");
            }
            ulong dist, size, second, secondSize;
            if (node < 0 || !tree.ReadReg(node, 0, out dist, out size) || !tree.ReadReg(node, 1, out second, out secondSize))
                return;
            facts->GicVersion = version;
            facts->DistributorBase = dist;
            if (version == 2)
            {
                facts->CpuInterfaceBase = second;
                return;
            }
            byte* v; int n;
            facts->RedistributorStride = tree.GetProperty(node, "redistributor-stride", out v, out n) && n == 8 ? DeviceTree.ReadBE64(v) : 0;
            uint regions = tree.GetU32(node, "#redistributor-regions", 1);
            facts->AddRange(second, secondSize);
            for (int i = 1; i < (int)regions && i < ArmTreeFacts.MaxRedistributorRanges; i++)
                if (tree.ReadReg(node, 1 + i, out second, out secondSize)) facts->AddRange(second, secondSize);
        }

        private static void ReadTimer(ref DeviceTree tree, ArmTreeFacts* facts)
        {
            int node = tree.FindCompatible("arm,armv8-timer");
            byte* v; int n;
            if (node >= 0 && tree.GetProperty(node, "interrupts", out v, out n) && n >= 36 && DeviceTree.ReadBE32(v + 24) == 1)
                facts->TimerIntId = 16 + (int)DeviceTree.ReadBE32(v + 28);
        }

        private static void ReadPsci(ref DeviceTree tree, ArmTreeFacts* facts)
        {
            int node = tree.FindCompatible("arm,psci-1.0");
            if (node < 0) node = tree.FindCompatible("arm,psci-0.2");
            bool v02 = node >= 0;
            if (node < 0) node = tree.FindCompatible("arm,psci");
            if (node < 0) return;
            int n;
            byte* method = tree.GetString(node, "method", out n);
            if (method == null || n != 3) return;
            if (method[0] == 'h' && method[1] == 'v' && method[2] == 'c') facts->PsciConduit = ArmTreeFacts.PsciHvc;
            else if (method[0] == 's' && method[1] == 'm' && method[2] == 'c') facts->PsciConduit = ArmTreeFacts.PsciSmc;
            if (!v02) facts->PsciCpuOn = tree.GetU32(node, "cpu_on", 0);
        }

        /// <summary>QEMU's fw_cfg interface ("qemu,fw-cfg-mmio"): its register base, or 0 when the tree has none.</summary>
        public static ulong FwCfgBase(ref DeviceTree tree)
        {
            int node = tree.FindCompatible("qemu,fw-cfg-mmio");
            ulong bas, size;
            return node >= 0 && tree.ReadReg(node, 0, out bas, out size) && size >= 0x18 ? bas : 0;
        }

        /// <summary>The affinity fields of an MPIDR (Aff3, Aff2, Aff1, Aff0): what identifies a CPU.</summary>
        public static ulong Affinity(ulong mpidr) => mpidr & 0xFF00FFFFFFUL;

        private static void ReadCpus(ref DeviceTree tree, ArmTreeFacts* facts, ulong bootMpidr)
        {
            int cpus = tree.FindNode("/cpus");
            if (cpus < 0) return;
            uint cells = tree.AddressCells(cpus);
            int node = cpus, depth = 1;
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
                if (!psci && Affinity(mpidr) != Affinity(bootMpidr)) { facts->CpusSkipped++; continue; }
                facts->AddCpu(mpidr);
            }
        }
    }
}
