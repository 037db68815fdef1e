using Molt.Memory;

namespace Molt.Threading
{
    public enum ThreadState { New, Ready, Running, Blocked, Dead }

    /// <summary>
    /// A kernel thread: its own stack (kernel/Memory/Stacks.cs: an unmapped
    /// guard page below it; freed when the thread is reaped), a saved stack pointer while not running, and
    /// scheduling data. Create with <see cref="Scheduler.Spawn"/>; the thread
    /// object belongs to the scheduler until <see cref="Join"/> returns, after
    /// which the joiner may free it with <c>Heap.Free</c>.
    /// </summary>
    public sealed unsafe class Thread
    {
        public const ulong DefaultStackSize = 32 * 1024;

        public int Id;
        public string Name;
        public volatile ThreadState State;
        /// <summary>CPU index the thread must run on, or -1 for any (it may then be stolen by an idle CPU).</summary>
        public int Affinity = -1;
        /// <summary>The CPU whose run queue holds or last ran the thread.</summary>
        public int Cpu;
        public bool IsIdle;

        internal nint SavedSp;
        internal ulong StackPhysical;
        internal ulong StackPages;
        /// <summary>The lowest address of the stack (kernel/Memory/Stacks.cs); the guard page is the page below it.</summary>
        internal ulong StackBottom;
        internal nint StackTop;
        internal delegate*<nint, void> Entry;
        internal nint Argument;
        /// <summary>Link in a run queue or a wait queue; a thread is in at most one.</summary>
        internal Thread Next;
        /// <summary>1 while a CPU is still running on this thread's stack; another CPU must wait for 0 before resuming it.</summary>
        internal volatile int OnCpu;
        internal ulong WakeAtNs;
        internal Thread SleepNext;
        internal WaitQueue Joiners;
        internal int Finished;
        public ulong Switches;

        /// <summary>Nesting depth of operations (kernel/Threading/Operations.cs); while above 0 the thread is not stolen by another CPU.</summary>
        internal int OperationDepth;
        internal int OperationCpu;
        internal int OperationGeneration;

        /// <summary>Blocks until the thread has finished. Then the caller may free it.</summary>
        public void Join()
        {
            Joiners.WaitUntil(ref Finished);
        }

        public bool HasFinished => System.Threading.Volatile.Read(in Finished) != 0;
    }
}
