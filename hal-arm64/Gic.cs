using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// The Arm Generic Interrupt Controller, version 2 or 3, whichever the
    /// device tree describes ("arm,gic-v3"; "arm,cortex-a15-gic", "arm,gic-400"
    /// and kin for v2) or, without one, ACPI's MADT (<see cref="Machine"/>).
    /// QEMU virt gives either with <c>-M virt,gic-version=2|3</c>.
    ///
    /// INTIDs are the kernel's interrupt vectors on AArch64: 0-15 SGIs (IPIs),
    /// 16-31 PPIs (per-CPU: the timer), 32 and up SPIs (devices).
    /// Every interrupt gets priority 0xa0 and the CPU interface lets through
    /// everything above 0xf0, so nothing is masked by priority; masking is
    /// PSTATE.I alone. EOImode 0: one write both drops the priority and
    /// deactivates.
    ///
    /// v3: distributor (GICD) with affinity routing (ARE) and group 1
    ///     non-secure interrupts; one redistributor (GICR) per CPU, found by
    ///     matching GICR_TYPER's affinity to the CPU's MPIDR; the CPU interface
    ///     through ICC_* system registers (cpu.S).
    /// v2: distributor and a memory-mapped CPU interface (GICC); group 0;
    ///     SGIs and SPIs target CPU-interface masks, which each CPU reads
    ///     from its own banked GICD_ITARGETSR0.
    /// All registers are mapped as Device memory through the direct map
    /// (<see cref="KernelAddressSpace.MapPhysical"/>).
    /// </summary>
    internal static unsafe class Gic
    {
        public const int SpuriousFirst = 1020;
        private const uint Priorities = 0xA0A0A0A0;

        // Distributor registers (both versions).
        private const ulong GICD_CTLR = 0x000, GICD_TYPER = 0x004, GICD_IGROUPR = 0x080, GICD_ISENABLER = 0x100, GICD_ICENABLER = 0x180;
        private const ulong GICD_ISPENDR = 0x200, GICD_ICPENDR = 0x280, GICD_ICACTIVER = 0x380, GICD_IPRIORITYR = 0x400;
        private const ulong GICD_ITARGETSR = 0x800, GICD_ICFGR = 0xC00, GICD_SGIR = 0xF00, GICD_IROUTER = 0x6000;
        private const uint GICD_CTLR_RWP = 1u << 31;
        // v3 redistributor: RD_base frame, then SGI_base frame 64 KiB above it.
        private const ulong GICR_CTLR = 0x0000, GICR_TYPER = 0x0008, GICR_WAKER = 0x0014, GICR_SGI = 0x10000;
        private const uint GICR_CTLR_RWP = 1u << 3, WAKER_PROCESSOR_SLEEP = 1u << 1, WAKER_CHILDREN_ASLEEP = 1u << 2;
        // v2 CPU interface.
        private const ulong GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_BPR = 0x08, GICC_IAR = 0x0C, GICC_EOIR = 0x10;

        private struct PerCpuTable
        {
            public fixed ulong Redistributor[Threading.Scheduler.MaxCpus]; // v3: RD_base (virtual)
            public fixed byte TargetMask[Threading.Scheduler.MaxCpus];     // v2: CPU interface mask
        }

        /// <summary>v3: where the redistributors are (one range per device tree region or ACPI GICR entry, or one frame per ACPI GICC entry).</summary>
        private struct RangeTable
        {
            public fixed ulong Base[MaxRedistributorRanges];
            public fixed ulong Length[MaxRedistributorRanges];
        }

        public const int MaxRedistributorRanges = Threading.Scheduler.MaxCpus;

        private static int s_version;
        private static ulong s_distPhys, s_cpuInterfacePhys, s_redistStride;
        private static ulong s_dist, s_cpuInterface;
        private static int s_lines;
        private static PerCpuTable s_cpus;
        private static RangeTable s_ranges;
        private static int s_rangeCount;
        private static int s_redistributors;

        public static int Version => s_version;
        public static ulong DistributorPhysical => s_distPhys;
        public static int Lines => s_lines;

        /// <summary>
        /// Records the controller the firmware describes: <paramref name="version"/>
        /// 2 or 3, the distributor, and (v2) the CPU interface. A v3's
        /// redistributors follow through <see cref="AddRedistributorRange"/>.
        /// </summary>
        public static void Configure(int version, ulong distributor, ulong cpuInterface, ulong redistributorStride)
        {
            s_version = version;
            s_distPhys = distributor;
            s_cpuInterfacePhys = cpuInterface;
            s_redistStride = redistributorStride;
            s_rangeCount = 0;
        }

        /// <summary>A range of redistributor frames (v3), searched in the order added; false when the table is full.</summary>
        public static bool AddRedistributorRange(ulong phys, ulong length)
        {
            if (s_rangeCount >= MaxRedistributorRanges || length == 0) return false;
            s_ranges.Base[s_rangeCount] = phys;
            s_ranges.Length[s_rangeCount] = length;
            s_rangeCount++;
            return true;
        }

        private static ulong Map(ulong phys, ulong size)
        {
            void* p = KernelAddressSpace.MapPhysical(phys, size, PageAccess.Read | PageAccess.Write | PageAccess.Device);
            if (p == null) Panic.Fail("out of memory mapping the GIC");
            return (ulong)p;
        }

        /// <summary>
        /// Boot CPU, once: maps the registers, finds every CPU's redistributor
        /// (v3), and sets up the distributor with every SPI disabled and routed
        /// to the boot CPU.
        /// </summary>
        public static void Initialize(int cpuCount)
        {
            s_dist = Map(s_distPhys, 0x10000);
            uint typer = Mmio.Read32(s_dist + GICD_TYPER);
            s_lines = (int)(32 * ((typer & 0x1F) + 1));
            if (s_lines > SpuriousFirst) s_lines = SpuriousFirst;
            if (s_version == 3) InitializeV3(cpuCount);
            else InitializeV2();
        }

        private static void WaitDistributor()
        {
            for (int i = 0; i < 1_000_000 && (Mmio.Read32(s_dist + GICD_CTLR) & GICD_CTLR_RWP) != 0; i++) Hal.Cpu.Relax();
        }

        private static void DisableAllSpis()
        {
            for (int i = 32; i < s_lines; i += 32)
            {
                Mmio.Write32(s_dist + GICD_ICENABLER + (ulong)(i / 32) * 4, 0xFFFFFFFF);
                Mmio.Write32(s_dist + GICD_ICPENDR + (ulong)(i / 32) * 4, 0xFFFFFFFF);
                Mmio.Write32(s_dist + GICD_ICACTIVER + (ulong)(i / 32) * 4, 0xFFFFFFFF);
            }
            for (int i = 32; i < s_lines; i += 4)
                Mmio.Write32(s_dist + GICD_IPRIORITYR + (ulong)i, Priorities);
        }

        private static void InitializeV3(int cpuCount)
        {
            Mmio.Write32(s_dist + GICD_CTLR, 0);
            WaitDistributor();
            for (int i = 32; i < s_lines; i += 32)
                Mmio.Write32(s_dist + GICD_IGROUPR + (ulong)(i / 32) * 4, 0xFFFFFFFF); // group 1
            DisableAllSpis();
            WaitDistributor();
            // ARE_NS | EnableGrp1A | EnableGrp1 (with DS = 1, as on QEMU virt: ARE | EnableGrp1 | EnableGrp0).
            Mmio.Write32(s_dist + GICD_CTLR, (1u << 4) | (1u << 1) | (1u << 0));
            WaitDistributor();
            // Routing needs ARE on: every SPI to the boot CPU until a driver says otherwise.
            ulong boot = RouteValue(Hal.Platform.HardwareId(0));
            for (int i = 32; i < s_lines; i++)
                Mmio.Write64(s_dist + GICD_IROUTER + (ulong)i * 8, boot);

            // Redistributors: in each range, frames of 128 KiB (256 KiB with VLPIs, GICv4), the range's last one flagged.
            for (int r = 0; r < s_rangeCount; r++)
            {
                ulong frame = s_ranges.Base[r], end = frame + s_ranges.Length[r];
                while (frame < end)
                {
                    ulong rd = Map(frame, 0x20000);
                    ulong type = Mmio.Read64(rd + GICR_TYPER);
                    uint affinity = (uint)(type >> 32);
                    for (int c = 0; c < cpuCount; c++)
                        if (Hal.Platform.HardwareId(c) == affinity && s_cpus.Redistributor[c] == 0) { s_cpus.Redistributor[c] = rd; s_redistributors++; }
                    if ((type & (1 << 4)) != 0) break; // Last
                    frame += s_redistStride != 0 ? s_redistStride : (type & (1 << 1)) != 0 ? 0x40000UL : 0x20000UL;
                }
            }
        }

        private static void InitializeV2()
        {
            s_cpuInterface = Map(s_cpuInterfacePhys, 0x2000);
            Mmio.Write32(s_dist + GICD_CTLR, 0);
            DisableAllSpis();
            uint boot = OwnTargetMask();
            for (int i = 32; i < s_lines; i += 4)
                Mmio.Write32(s_dist + GICD_ITARGETSR + (ulong)i, boot * 0x01010101u);
            Mmio.Write32(s_dist + GICD_CTLR, 1);
        }

        /// <summary>v2: this CPU's interface mask, from the banked, read-only targets of its own SGIs.</summary>
        private static uint OwnTargetMask()
        {
            uint mask = Mmio.Read32(s_dist + GICD_ITARGETSR) & 0xFF;
            return mask != 0 ? mask : 1; // a uniprocessor GIC reads as zero
        }

        private static ulong RouteValue(uint hardwareId)
            => (ulong)(hardwareId & 0xFFFFFF) | (ulong)(hardwareId >> 24) << 32;

        public static void LogSummary()
        {
            if (s_version == 3 && s_rangeCount > 1)
                Log.Info("gic", $"GICv3, distributor at {s_distPhys:x}, {s_lines} lines, {s_redistributors} redistributors in {s_rangeCount} ranges from {s_ranges.Base[0]:x}");
            else if (s_version == 3)
                Log.Info("gic", $"GICv3, distributor at {s_distPhys:x}, {s_lines} lines, {s_redistributors} redistributors from {s_ranges.Base[0]:x}");
            else
                Log.Info("gic", $"GICv2, distributor at {s_distPhys:x}, CPU interface at {s_cpuInterfacePhys:x}, {s_lines} lines");
        }

        /// <summary>
        /// This CPU's side: wakes its redistributor (v3), puts its SGIs and PPIs
        /// at the common priority, enables those in <paramref name="enableMask"/>
        /// (bit n = INTID n, n below 32) and turns the CPU interface on.
        /// False if the CPU has no redistributor, or (v3) its system register
        /// interface cannot be enabled.
        /// </summary>
        public static bool InitializeThisCpu(int index, uint enableMask)
        {
            if (s_version == 3)
            {
                ulong rd = s_cpus.Redistributor[index];
                if (rd == 0) return false;
                Mmio.Write32(rd + GICR_WAKER, Mmio.Read32(rd + GICR_WAKER) & ~WAKER_PROCESSOR_SLEEP);
                for (int i = 0; i < 1_000_000 && (Mmio.Read32(rd + GICR_WAKER) & WAKER_CHILDREN_ASLEEP) != 0; i++) Hal.Cpu.Relax();
                ulong sgi = rd + GICR_SGI;
                Mmio.Write32(sgi + GICD_IGROUPR, 0xFFFFFFFF);
                Mmio.Write32(sgi + GICD_ICENABLER, 0xFFFFFFFF);
                Mmio.Write32(sgi + GICD_ICPENDR, 0xFFFFFFFF);
                WaitRedistributor(rd);
                for (int i = 0; i < 32; i += 4) Mmio.Write32(sgi + GICD_IPRIORITYR + (ulong)i, Priorities);
                Mmio.Write32(sgi + GICD_ISENABLER, enableMask);
                WaitRedistributor(rd);
                return Native.IccInitialize();
            }
            s_cpus.TargetMask[index] = (byte)OwnTargetMask();
            Mmio.Write32(s_dist + GICD_ICENABLER, 0xFFFF0000); // PPIs (SGIs may be always on)
            for (int i = 0; i < 32; i += 4) Mmio.Write32(s_dist + GICD_IPRIORITYR + (ulong)i, Priorities);
            Mmio.Write32(s_dist + GICD_ISENABLER, enableMask);
            Mmio.Write32(s_cpuInterface + GICC_PMR, 0xF0);
            Mmio.Write32(s_cpuInterface + GICC_BPR, 0);
            Mmio.Write32(s_cpuInterface + GICC_CTLR, 1);
            return true;
        }

        private static void WaitRedistributor(ulong rd)
        {
            for (int i = 0; i < 1_000_000 && (Mmio.Read32(rd + GICR_CTLR) & GICR_CTLR_RWP) != 0; i++) Hal.Cpu.Relax();
        }

        /// <summary>Acknowledges the highest-priority pending interrupt; the INTID is <see cref="IntId"/> of the result.</summary>
        public static uint Acknowledge() => s_version == 3 ? (uint)Native.IccReadIar1() : Mmio.Read32(s_cpuInterface + GICC_IAR);

        public static int IntId(uint acknowledged) => (int)(acknowledged & (s_version == 3 ? 0xFFFFFFu : 0x3FFu));

        /// <summary>Ends the interrupt <see cref="Acknowledge"/> returned (v2 needs the source CPU bits back).</summary>
        public static void EndOfInterrupt(uint acknowledged)
        {
            if (s_version == 3) Native.IccWriteEoir1(acknowledged);
            else Mmio.Write32(s_cpuInterface + GICC_EOIR, acknowledged);
        }

        /// <summary>
        /// Sends SGI <paramref name="sgi"/> to CPU <paramref name="cpuIndex"/>.
        /// Stores made before the call are visible to the target's handler
        /// (dsb ishst before the write that sends it).
        /// </summary>
        public static void SendSgi(int cpuIndex, int sgi)
        {
            if (s_version == 3)
            {
                uint id = Hal.Platform.HardwareId(cpuIndex);
                ulong aff0 = id & 0xFF, aff1 = (id >> 8) & 0xFF, aff2 = (id >> 16) & 0xFF, aff3 = id >> 24;
                ulong value = (1UL << (int)(aff0 & 15)) | aff1 << 16 | (ulong)(uint)sgi << 24 | aff2 << 32 | (aff0 >> 4) << 44 | aff3 << 48;
                Native.IccWriteSgi1r(value);
                return;
            }
            Native.StoreBarrier();
            Mmio.Write32(s_dist + GICD_SGIR, (uint)s_cpus.TargetMask[cpuIndex] << 16 | (uint)sgi);
        }

        /// <summary>The pending-set register frame holding <paramref name="intid"/>'s bits: the CPU's redistributor for SGIs and PPIs on v3.</summary>
        private static ulong Bank(int intid, int cpuIndex) => s_version == 3 && intid < 32 ? s_cpus.Redistributor[cpuIndex] + GICR_SGI : s_dist;

        /// <summary>
        /// Lets <paramref name="intid"/> reach CPU <paramref name="cpuIndex"/>:
        /// an SPI is routed there (v3 affinity, v2 target mask) and enabled; a
        /// PPI or SGI is enabled on that CPU (v2: only the calling CPU's can be).
        /// </summary>
        public static void Enable(int intid, int cpuIndex)
        {
            if (intid >= 32)
            {
                if (s_version == 3) Mmio.Write64(s_dist + GICD_IROUTER + (ulong)intid * 8, RouteValue(Hal.Platform.HardwareId(cpuIndex)));
                else
                {
                    ulong reg = s_dist + GICD_ITARGETSR + (ulong)(intid & ~3);
                    int shift = (intid & 3) * 8;
                    uint v = Mmio.Read32(reg);
                    Mmio.Write32(reg, (v & ~(0xFFu << shift)) | (uint)s_cpus.TargetMask[cpuIndex] << shift);
                }
            }
            Mmio.Write32(Bank(intid, cpuIndex) + GICD_ISENABLER + (ulong)(intid / 32) * 4, 1u << (intid & 31));
        }

        /// <summary>
        /// Sets SPI <paramref name="intid"/> level-sensitive or edge-triggered
        /// (GICD_ICFGR: two bits per INTID, the upper one set for edge).
        /// Call while the SPI is disabled: the GIC may ignore a change to an enabled one.
        /// </summary>
        public static void ConfigureTrigger(int intid, bool levelTriggered)
        {
            if (intid < 32 || intid >= s_lines) return;
            ulong reg = s_dist + GICD_ICFGR + (ulong)(intid / 16) * 4;
            int shift = (intid % 16) * 2 + 1;
            uint v = Mmio.Read32(reg);
            v = levelTriggered ? v & ~(1u << shift) : v | (1u << shift);
            Mmio.Write32(reg, v);
        }

        /// <summary>Disables SPI <paramref name="intid"/> at the distributor.</summary>
        public static void Disable(int intid)
        {
            if (intid < 32 || intid >= s_lines) return;
            Mmio.Write32(s_dist + GICD_ICENABLER + (ulong)(intid / 32) * 4, 1u << (intid & 31));
        }

        /// <summary>Makes <paramref name="intid"/> (a PPI or SPI) pending, as its device would.</summary>
        public static void SetPending(int intid, int cpuIndex)
        {
            Native.StoreBarrier();
            Mmio.Write32(Bank(intid, cpuIndex) + GICD_ISPENDR + (ulong)(intid / 32) * 4, 1u << (intid & 31));
        }

        public static bool IsPending(int intid, int cpuIndex)
            => (Mmio.Read32(Bank(intid, cpuIndex) + GICD_ISPENDR + (ulong)(intid / 32) * 4) & (1u << (intid & 31))) != 0;
    }
}
