using System.Runtime.InteropServices;

namespace Molt.Smp
{
    /// <summary>
    /// One CPU's private data. Each CPU's block sits in its own 4 KiB page,
    /// so no cache line is shared between CPUs; the arch keeps a pointer to
    /// it in a base register (GS on x86-64, TPIDR_EL1 on AArch64) and
    /// <see cref="Hal.PerCpu.Current"/> reads <see cref="Self"/> through it:
    /// one call, one load.
    /// Only its own CPU writes a block, except the fields marked "remote".
    /// Object references are stored as addresses (nint): there is no GC to
    /// track them, and the block must stay unmanaged to be pointed at.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct CpuLocal
    {
        /// <summary>Offset 0: the arch's base register points here and reads this word.</summary>
        public CpuLocal* Self;
        public int Index;
        /// <summary>APIC id on x86-64, MPIDR affinity on AArch64.</summary>
        public uint HardwareId;
        /// <summary>The running thread (a Molt.Threading.Thread's address).</summary>
        public nint CurrentThread;
        public nint IdleThread;
        /// <summary>Nesting depth of interrupt handlers on this CPU.</summary>
        public int InterruptDepth;
        /// <summary>While non-zero, the timer does not preempt the running thread.</summary>
        public int PreemptDisable;
        /// <summary>Set by the tick or a wake-up when the scheduler should run at the next chance.</summary>
        public int NeedReschedule;
        public int Online;
        public ulong Ticks;
        public ulong ContextSwitches;
        public ulong InterruptsHandled;
        /// <summary>Top of the stack interrupts and the idle loop run on.</summary>
        public ulong KernelStackTop;
        /// <summary>Scratch for the arch layer (e.g. the TSS address on x86-64).</summary>
        public ulong ArchData0, ArchData1;

        // ---- quiescence (kernel/Threading/Operations.cs) ----
        /// <summary>The generation new operations on this CPU join: 0 or 1.</summary>
        public int OperationGeneration;
        public int Pad0;
        /// <summary>Operations begun on this CPU and not yet ended, per generation.</summary>
        public long ActiveOperations0, ActiveOperations1;
        /// <summary>Times this CPU's generation has advanced; a marker elapses two advances after it was set.</summary>
        public ulong Advances;

        // ---- object translation (update/Objects.cs) ----
        /// <summary>This CPU's local translation table: object id -> representative (an object address), 0 when not cached.</summary>
        public nint* LocalTranslations;
        public int LocalTranslationCapacity;
    }
}
