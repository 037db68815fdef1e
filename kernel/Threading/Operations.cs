using System.Threading;
using Molt.Hal;
using Molt.Smp;

namespace Molt.Threading
{
    /// <summary>
    /// Operations and generation counting: the basis of quiescence (K42's
    /// ActiveThrdCnt). An operation is a bounded piece of kernel work: a
    /// thread's run from start to exit, an interrupt handler, a timer
    /// callback. Each CPU counts its active operations in two generations.
    ///
    /// Protocol:
    /// 1. Begin: join this CPU's current generation g (count[g]++); the
    ///    thread remembers (CPU, g). Nested begins only deepen.
    /// 2. End: count[g]-- on the CPU and generation it began in.
    /// 3. Advance (every tick, on every CPU): if the other generation's count
    ///    is 0, the current generation becomes the other one and Advances++.
    /// 4. A CPU-local marker set at Advances = a has elapsed once Advances
    ///    reaches a + 2: every operation that had begun on that CPU when the
    ///    marker was set has ended (it was in g, which had to drain before the
    ///    second swap).
    /// Invariants: Begin and End touch only the counters of the CPU the
    /// operation began on, and a thread inside an operation is never stolen
    /// by another CPU, so the counters live in per-CPU cache lines that no
    /// other CPU writes. Interrupts are off around each counter update.
    ///
    /// Long-running loops must mark quiescent points with <see cref="Checkpoint"/>
    /// (or leave the operation with <see cref="Pause"/>/<see cref="Resume"/>
    /// around long waits), or quiescence never comes. A thread blocked inside
    /// an operation keeps it active: that is what makes it safe to park in
    /// an object.
    /// </summary>
    public static unsafe class Operations
    {
        private static long* Counter(CpuLocal* cpu, int generation) => generation == 0 ? &cpu->ActiveOperations0 : &cpu->ActiveOperations1;

        /// <summary>Step 1 for the calling thread.</summary>
        public static void Begin()
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            CpuLocal* cpu = PerCpu.Current();
            Thread t = Scheduler.Current;
            if (t.OperationDepth++ == 0)
            {
                int g = cpu->OperationGeneration;
                t.OperationCpu = cpu->Index;
                t.OperationGeneration = g;
                Interlocked.Increment(ref *Counter(cpu, g));
            }
            if (irq) Cpu.EnableInterrupts();
        }

        /// <summary>Step 2 for the calling thread.</summary>
        public static void End()
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            Thread t = Scheduler.Current;
            if (t.OperationDepth > 0 && --t.OperationDepth == 0)
                Interlocked.Decrement(ref *Counter(Processors.Get(t.OperationCpu), t.OperationGeneration));
            if (irq) Cpu.EnableInterrupts();
        }

        /// <summary>A quiescent point for a long-running loop: ends the thread's operation and begins a new one.</summary>
        public static void Checkpoint()
        {
            Thread t = Scheduler.Current;
            int depth = t.OperationDepth;
            if (depth == 0) return;
            t.OperationDepth = 1;
            End();
            Begin();
            t.OperationDepth = depth;
        }

        /// <summary>Leaves the calling thread's operation entirely (for a long wait); returns the depth for <see cref="Resume"/>.</summary>
        public static int Pause()
        {
            Thread t = Scheduler.Current;
            int depth = t.OperationDepth;
            if (depth == 0) return 0;
            t.OperationDepth = 1;
            End();
            return depth;
        }

        public static void Resume(int depth)
        {
            if (depth == 0) return;
            Begin();
            Scheduler.Current.OperationDepth = depth;
        }

        public static bool InOperation => Scheduler.Current.OperationDepth > 0;

        /// <summary>Brackets interrupt-context work (handlers, ticks, timer callbacks, IPIs) on this CPU; returns the generation for <see cref="EndInterrupt"/>.</summary>
        public static int BeginInterrupt()
        {
            CpuLocal* cpu = PerCpu.Current();
            int g = cpu->OperationGeneration;
            Interlocked.Increment(ref *Counter(cpu, g));
            return g;
        }

        public static void EndInterrupt(int generation) => Interlocked.Decrement(ref *Counter(PerCpu.Current(), generation));

        /// <summary>Step 3, from the tick with interrupts off.</summary>
        public static void Advance()
        {
            CpuLocal* cpu = PerCpu.Current();
            int other = 1 - cpu->OperationGeneration;
            if (Volatile.Read(in *Counter(cpu, other)) != 0) return;
            // Count first, then switch: a waiter on another CPU that reads the
            // old count must not see the generation already switched, or it
            // would take this advance for a later one and miss an operation.
            Interlocked.Exchange(ref *(long*)&cpu->Advances, (long)cpu->Advances + 1);
            Volatile.Write(ref cpu->OperationGeneration, other);
        }

        public static ulong Advances(int cpu) => (ulong)Volatile.Read(in *(long*)&Processors.Get(cpu)->Advances);

        public static long Active(int cpu)
        {
            CpuLocal* c = Processors.Get(cpu);
            return Volatile.Read(in c->ActiveOperations0) + Volatile.Read(in c->ActiveOperations1);
        }
    }
}
