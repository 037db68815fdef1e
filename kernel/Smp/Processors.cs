using System.Threading;
using Molt.Console;
using Molt.Hal;
using Molt.Memory;
using Molt.Threading;
using Molt.Time;

namespace Molt.Smp
{
    /// <summary>
    /// Brings every CPU online.
    /// 1. The platform reports the CPUs (ACPI MADT or device tree); the
    ///    command line may lower the count with <c>smp=N</c>.
    /// 2. Each CPU gets a CpuLocal block in its own page; the boot CPU
    ///    installs its own and adopts the running code as the "main" thread.
    /// 3. The boot CPU starts the others one at a time; each runs
    ///    <see cref="ApplicationProcessorMain"/>: installs its block, sets up
    ///    its tables and tick, adopts its start-up context as its idle
    ///    thread, reports online, and idles in the scheduler.
    /// 4. <c>N CPUs online</c> is logged.
    /// </summary>
    public static unsafe class Processors
    {
        private const ulong ApStackSize = 32 * 1024;
        private static CpuLocal** s_cpus;
        private static int s_count;
        private static int s_online;

        public static int Count => s_count;
        public static int Online => Volatile.Read(in s_online);
        public static CpuLocal* Get(int index) => s_cpus[index];

        public static void BringUp(Boot.CommandLine cmd)
        {
            int found = Platform.DiscoverCpus();
            int count = found;
            ulong limit;
            if (cmd.TryGetNumber("smp", out limit) && limit >= 1 && (int)limit < count) count = (int)limit;
            if (count > Scheduler.MaxCpus) count = Scheduler.MaxCpus;
            s_count = count;
            s_cpus = (CpuLocal**)Heap.AllocateOrPanic((uint)(count * sizeof(CpuLocal*)));
            for (int i = 0; i < count; i++)
            {
                ulong frame = FrameAllocator.Allocate();
                if (frame == 0) Diagnostics.Panic.Fail("out of memory for per-CPU data");
                var c = (CpuLocal*)FrameAllocator.ToVirtual(frame);
                for (int b = 0; b < 4096; b++) ((byte*)c)[b] = 0;
                c->Self = c;
                c->Index = i;
                c->HardwareId = Platform.HardwareId(i);
                s_cpus[i] = c;
            }
            PerCpu.Install(s_cpus[0]);
            Heap.EnablePerCpuCaches();
            Platform.InitializeInterrupts();
            Scheduler.Initialize(count);
            Scheduler.AdoptCurrent(s_cpus[0], "main", false);
            Platform.InitializeThisCpu(s_cpus[0], Scheduler.TickHz);
            s_cpus[0]->Online = 1;
            s_online = 1;
            if (count > 1) Log.Info("smp", $"starting {count - 1} CPUs through {Platform.StartMethod()}");
            for (int i = 1; i < count; i++)
            {
                // The stack the CPU starts on, then its idle thread's: with a guard page (kernel/Memory/Stacks.cs).
                ulong stack;
                ulong bottom = Stacks.Allocate(ApStackSize, out stack);
                if (bottom == 0) { Log.Warn("smp", $"no memory for CPU {i}'s stack"); continue; }
                Stacks.Name(bottom, ApStackSize, "the idle thread's stack", i);
                ulong top = bottom + ApStackSize;
                s_cpus[i]->KernelStackTop = top;
                if (!Platform.StartCpu(i, s_cpus[i], top))
                    Log.Warn("smp", $"CPU {i} (hardware id {s_cpus[i]->HardwareId}) did not come online");
            }
            Cpu.EnableInterrupts();
            Log.Info("smp", $"{Online} CPUs online{(count < found ? " (limited by smp=)" : "")}");
        }

        /// <summary>
        /// Stops every other CPU: each takes a "stop" call, marks itself
        /// offline and halts with interrupts off. Waits up to a second for all
        /// of them; returns how many did not stop (0 on a clean shutdown).
        /// </summary>
        public static int StopOthers()
        {
            int self = PerCpu.Current()->Index;
            for (int i = 0; i < s_count; i++)
                if (i != self && Volatile.Read(in s_cpus[i]->Online) != 0)
                    Interprocessor.Call(i, &StopThisCpu, 0, false);
            ulong deadline = Clock.NanosecondsSinceBoot() + 1_000_000_000;
            int left;
            do
            {
                left = 0;
                for (int i = 0; i < s_count; i++)
                    if (i != self && Volatile.Read(in s_cpus[i]->Online) != 0) left++;
            } while (left > 0 && Clock.NanosecondsSinceBoot() < deadline);
            return left;
        }

        private static void StopThisCpu(nint unused)
        {
            CpuLocal* cpu = PerCpu.Current();
            Volatile.Write(ref cpu->Online, 0);
            Interlocked.Decrement(ref s_online);
            Cpu.HaltForever();
        }

        /// <summary>Step 3, on each application processor. Never returns.</summary>
        public static void ApplicationProcessorMain(int index)
        {
            CpuLocal* cpu = s_cpus[index];
            // Installed twice: the heap needs it for the tables' allocation, and
            // reloading segment registers with those tables may clear the base.
            PerCpu.Install(cpu);
            Platform.InitializeThisCpu(cpu, Scheduler.TickHz);
            PerCpu.Install(cpu);
            Scheduler.AdoptCurrent(cpu, "idle", true);
            Volatile.Write(ref cpu->Online, 1);
            Interlocked.Increment(ref s_online);
            Scheduler.RunIdle();
        }
    }
}
