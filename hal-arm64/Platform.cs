using Molt.Arch.Arm64;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Smp;
using Molt.Time;

namespace Molt.Hal
{
    /// <summary>
    /// The AArch64 machine: CPUs from the device tree's /cpus, ACPI's MADT
    /// or Limine's MP response, PSCI to start them, the GIC for interrupts
    /// and IPIs, the virtual timer for the tick (<see cref="Machine"/> says
    /// which firmware description wins). Vectors are GIC INTIDs:
    /// <list type="bullet">
    /// <item>SGI 1, 2, 3: the reschedule, call and TLB shoot-down IPIs (SGI 0 is left unused).</item>
    /// <item>PPI 27 (INTID 27): the virtual timer's tick.</item>
    /// <item>32 and up (SPIs): devices; <see cref="FirstDeviceVector"/> is 32.</item>
    /// <item>1020-1023: special (1023 spurious), counted, never acknowledged.</item>
    /// </list>
    /// </summary>
    public static unsafe partial class Platform
    {
        private const int IpiSgiBase = 1;

        public static partial int DiscoverCpus() => Machine.Discover();

        public static partial void PrepareScreen(Boot.BootInfo* boot)
        {
            if (boot->FramebufferPhysical == 0) Ramfb.Enable(boot);
        }

        public static partial uint HardwareId(int index) => Machine.HardwareId(index);

        public static partial string StartMethod() => Kernel.Boot->LimineMp != 0 ? "Limine's MP response" : "PSCI CPU_ON";

        public static partial int FirstDeviceVector() => 32;

        public static partial void InitializeInterrupts()
        {
            Gic.Initialize(Machine.CpuCount);
            Timer.Configure(Clock.FrequencyHz, Threading.Scheduler.TickHz);
            Gic.LogSummary();
            Log.Info("timer", $"virtual timer PPI {Timer.IntId - 16} (INTID {Timer.IntId}), {Clock.FrequencyHz / 1000} kHz, tick {Threading.Scheduler.TickHz} Hz");
        }

        public static partial void InitializeThisCpu(CpuLocal* cpu, uint tickHz)
        {
            if (Timer.Period == 0) Timer.Configure(Clock.FrequencyHz, tickHz);
            uint enable = (0x7u << IpiSgiBase) | (1u << Timer.IntId);
            if (!Gic.InitializeThisCpu(cpu->Index, enable))
            {
                Log.Warn("gic", $"CPU {cpu->Index} (MPIDR affinity {cpu->HardwareId:x}) has no redistributor, or its GIC CPU interface stays off");
                Panic.Fail("a CPU cannot take interrupts");
            }
            Timer.StartThisCpu();
        }

        public static partial bool StartCpu(int index, CpuLocal* cpu, ulong stackTop) => ApplicationProcessors.Start(index, stackTop);

        public static partial void SendIpi(int cpuIndex, IpiKind kind) => Gic.SendSgi(cpuIndex, IpiSgiBase + (int)kind);

        /// <summary>The IPI kind an SGI carries, or -1.</summary>
        internal static int IpiKindOf(int intid) => intid >= IpiSgiBase && intid < IpiSgiBase + 3 ? intid - IpiSgiBase : -1;

        /// <summary>
        /// An SGI goes to this CPU as an IPI would. A PPI or SPI is routed to
        /// this CPU, enabled and made pending in the GIC, as its device would;
        /// with interrupts on, this waits (at most 10 ms) until the CPU has
        /// taken it, so that each call is one delivery: the GIC keeps only one
        /// pending state per interrupt and would merge back-to-back raises.
        /// </summary>
        public static partial void RaiseOnThisCpu(int vector)
        {
            if ((uint)vector >= (uint)Gic.Lines) return;
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            int self = PerCpu.Current()->Index;
            if (vector < 16)
            {
                Gic.SendSgi(self, vector);
                if (irq) Cpu.EnableInterrupts();
                return;
            }
            Gic.Enable(vector, self);
            Gic.SetPending(vector, self);
            if (!irq) return;
            Cpu.EnableInterrupts();
            ulong deadline = Cpu.ReadTimestamp() + Clock.FrequencyHz / 100;
            while (Gic.IsPending(vector, self) && Cpu.ReadTimestamp() < deadline) Cpu.Relax();
        }
    }
}
