using Molt.Console;
using Molt.Smp;
using Molt.Time;
using Molt.Arch.X64;

namespace Molt.Hal
{
    public static unsafe partial class Platform
    {
        private const int IpiVectorBase = 0xF1;
        private static ulong s_apicTimerHz;

        public static partial int DiscoverCpus()
        {
            ulong rsdp = BiosRsdp.Locate(Kernel.Boot->Rsdp);
            if (rsdp == 0) Log.Warn("acpi", $"no RSDP found; continuing without ACPI (boot CPU only, default APIC addresses)");
            else Molt.Acpi.AcpiFirmware.Initialize(rsdp, Kernel.Boot->DirectMapOffset);
            // The boot CPU must be index 0: its APIC id goes to the front.
            return Machine.Discover(CpuId.InitialApicId);
        }

        // The loader's framebuffer (Limine, Multiboot2) is the only one on x86-64.
        public static partial void PrepareScreen(Boot.BootInfo* boot) { }

        public static partial uint HardwareId(int index) => Machine.ApicId(index);

        public static partial string StartMethod() => Kernel.Boot->LimineMp != 0 ? "Limine's MP response" : "INIT-SIPI-SIPI";

        public static partial int FirstDeviceVector() => 0x30;

        public static partial void RaiseOnThisCpu(int vector) => LocalApic.SendSelf(vector);

        public static partial void InitializeInterrupts()
        {
            DescriptorTables.GuardBootCpuIstStacks();
            LegacyPic.Disable();
            IoApic.Initialize();
            LocalApic.InitializeThisCpu();
            s_apicTimerHz = LocalApic.MeasureTimerHz(Clock.FrequencyHz);
            Log.Info("apic", $"{(LocalApic.X2Apic ? "x2APIC" : "xAPIC")}, timer {s_apicTimerHz / 1000} kHz, tick {Threading.Scheduler.TickHz} Hz");
        }

        public static partial void InitializeThisCpu(CpuLocal* cpu, uint tickHz)
        {
            if (cpu->Index != 0)
            {
                byte* tables = (byte*)Memory.Heap.AllocateOrPanic((uint)DescriptorTables.PerCpuBytes);
                DescriptorTables.InitializeThisCpu(tables, cpu->Index);
                LocalApic.InitializeThisCpu();
            }
            LocalApic.StartPeriodic(s_apicTimerHz, tickHz);
        }

        public static partial bool StartCpu(int index, CpuLocal* cpu, ulong stackTop) => ApplicationProcessors.Start(index, Machine.ApicId(index), stackTop);

        public static partial void SendIpi(int cpuIndex, IpiKind kind) => LocalApic.SendIpi(Machine.ApicId(cpuIndex), IpiVectorBase + (int)kind);

        /// <summary>The IPI kind a vector carries, or -1.</summary>
        internal static int IpiKindOf(ulong vector) => vector >= IpiVectorBase && vector < IpiVectorBase + 3 ? (int)vector - IpiVectorBase : -1;
    }
}
