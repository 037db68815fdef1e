using System.Runtime.InteropServices;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Time;

namespace Molt.Threading
{
    /// <summary>
    /// Per-CPU run queues with preemption on the timer tick and work stealing.
    ///
    /// Each CPU has a FIFO run queue under its own spinlock. A CPU whose queue
    /// is empty steals the first stealable thread (affinity -1) from another
    /// CPU's queue before it idles; a thread with an affinity only ever runs
    /// on that CPU. The tick ends a thread's quantum; a wake-up of a thread
    /// queued on another CPU sends that CPU a reschedule IPI.
    ///
    /// Switch protocol (interrupts off throughout):
    /// 1. Put the running thread back on its queue if it is still runnable.
    /// 2. Pick the next: own queue, else steal, else this CPU's idle thread.
    /// 3. Wait until the next thread's OnCpu is 0 (its old CPU has left its stack), set it to 1.
    /// 4. Record the outgoing thread in CpuLocal.PreviousThread and switch stacks.
    /// 5. The resumed thread clears PreviousThread.OnCpu and reaps it if it died.
    /// Invariant: a thread's stack is in use by at most one CPU at a time.
    /// </summary>
    public static unsafe class Scheduler
    {
        public const uint TickHz = 1000;
        public const int QuantumTicks = 10;
        public const int MaxCpus = 64;

        private sealed class RunQueue
        {
            public SpinLock Lock;
            public Thread Head, Tail;
            public int Count;
            /// <summary>Queued threads another CPU may steal (no affinity, not inside an operation).</summary>
            public int Stealable;
            public Thread Idle;
            public Thread Previous;
            public Thread Sleepers;
            public TimerEntry Timers;
            public int QuantumLeft;
        }

        private static RunQueue[] s_queues;
        private static int s_cpuCount;
        private static int s_nextId;
        private static int s_nextCpu;
        private static bool s_started;
        private static long s_steals; // several CPUs may steal at once: counted atomically

        public static int CpuCount => s_cpuCount;
        public static ulong Steals => (ulong)System.Threading.Volatile.Read(in s_steals);
        public static bool Started => s_started;

        public static Thread Current => ObjectRef.FromAddress<Thread>(PerCpu.Current()->CurrentThread);
        public static int CurrentCpu => PerCpu.Current()->Index;

        /// <summary>Creates the run queues. Called once by the boot CPU before any other CPU starts.</summary>
        public static void Initialize(int cpuCount)
        {
            s_cpuCount = cpuCount;
            s_queues = new RunQueue[cpuCount];
            for (int i = 0; i < cpuCount; i++) s_queues[i] = new RunQueue();
        }

        /// <summary>
        /// Adopts the code running now on this CPU as a thread (the boot
        /// thread on CPU 0, the idle thread on the others) and creates CPU 0's
        /// idle thread. After this, Current works on this CPU.
        /// </summary>
        public static void AdoptCurrent(CpuLocal* cpu, string name, bool isIdle)
        {
            var t = new Thread();
            t.Id = System.Threading.Interlocked.Increment(ref s_nextId);
            t.Name = name;
            t.State = ThreadState.Running;
            t.Cpu = cpu->Index;
            t.Affinity = cpu->Index;
            t.OnCpu = 1;
            t.IsIdle = isIdle;
            cpu->CurrentThread = ObjectRef.AddressOf(t);
            RunQueue q = s_queues[cpu->Index];
            q.QuantumLeft = QuantumTicks;
            if (isIdle) { q.Idle = t; cpu->IdleThread = cpu->CurrentThread; }
            else
            {
                Thread idle = Create(&IdleLoop, 0, "idle", cpu->Index);
                idle.IsIdle = true;
                idle.State = ThreadState.Ready;
                q.Idle = idle;
                cpu->IdleThread = ObjectRef.AddressOf(idle);
            }
            s_started = true;
        }

        private static Thread Create(delegate*<nint, void> entry, nint arg, string name, int affinity, ulong stackBytes = Thread.DefaultStackSize)
        {
            ulong pages = (stackBytes + 4095) / 4096;
            ulong stack;
            ulong bottom = Stacks.Allocate(pages * 4096, out stack);
            if (bottom == 0) return null;
            var t = new Thread();
            t.Id = System.Threading.Interlocked.Increment(ref s_nextId);
            t.Name = name;
            t.Entry = entry;
            t.Argument = arg;
            t.Affinity = affinity;
            t.StackPhysical = stack;
            t.StackPages = pages;
            t.StackBottom = bottom;
            t.StackTop = (nint)(bottom + pages * 4096);
            t.SavedSp = ThreadContext.Prepare(t.StackTop, ObjectRef.AddressOf(t));
            t.State = ThreadState.New;
            return t;
        }

        /// <summary>
        /// Starts a thread running <paramref name="entry"/>(<paramref name="arg"/>),
        /// on CPU <paramref name="affinity"/> or, with -1, queued first on
        /// <paramref name="initialCpu"/> (default: CPUs in turn) from where idle CPUs may steal it.
        /// Returns null when no memory is left for its stack. The caller owns
        /// the returned object: Join it, then free it. <paramref name="stackBytes"/>
        /// rounds up to whole pages.
        /// </summary>
        public static Thread Spawn(delegate*<nint, void> entry, nint arg, string name, int affinity = -1, int initialCpu = -1, ulong stackBytes = Thread.DefaultStackSize)
        {
            if (affinity >= s_cpuCount) affinity = -1;
            Thread t = Create(entry, arg, name, affinity, stackBytes);
            if (t == null) return null;
            int cpu = affinity >= 0 ? affinity
                    : initialCpu >= 0 && initialCpu < s_cpuCount ? initialCpu
                    : (int)((uint)System.Threading.Interlocked.Increment(ref s_nextCpu) % (uint)s_cpuCount);
            t.Cpu = cpu;
            t.State = ThreadState.Blocked;
            Wake(t);
            return t;
        }

        [UnmanagedCallersOnly(EntryPoint = "molt_thread_start")]
        private static void ThreadStart(nint threadAddress)
        {
            FinishSwitch();
            Thread t = ObjectRef.FromAddress<Thread>(threadAddress);
            Cpu.EnableInterrupts();
            // A thread's run is an operation (for quiescence); long loops checkpoint.
            // The idle loop never is: it runs no kernel objects' code.
            if (!t.IsIdle) Operations.Begin();
            t.Entry(t.Argument);
            if (!t.IsIdle) Operations.End();
            Exit();
        }

        /// <summary>
        /// Ends the calling thread. The next thread to run on this CPU frees
        /// its stack and only then releases joiners, so a joiner that frees
        /// the Thread object can never pull it from under a running CPU.
        /// </summary>
        public static void Exit()
        {
            Cpu.DisableInterrupts();
            Thread t = Current;
            t.State = ThreadState.Dead;
            Schedule();
            Panic.Fail("a dead thread was resumed");
        }

        private static void IdleLoop(nint unused)
        {
            while (true)
            {
                Cpu.DisableInterrupts();
                CpuLocal* cpu = PerCpu.Current();
                RunQueue q = s_queues[cpu->Index];
                if (q.Count > 0 || cpu->NeedReschedule != 0 || AnyStealable(cpu->Index))
                {
                    cpu->NeedReschedule = 0;
                    Schedule();
                    Cpu.EnableInterrupts();
                    continue;
                }
                Cpu.EnableInterruptsAndWait();
            }
        }

        /// <summary>Idles the calling CPU forever; for application processors once they are set up.</summary>
        public static void RunIdle() => IdleLoop(0);

        /// <summary>Gives up the CPU to another ready thread, if any.</summary>
        public static void Yield()
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            Schedule();
            if (irq) Cpu.EnableInterrupts();
        }

        /// <summary>Marks the current thread blocked, releases <paramref name="held"/> and switches away. Interrupts must be off.</summary>
        internal static void BlockCurrentAndRelease(ref SpinLock held)
        {
            Current.State = ThreadState.Blocked;
            held.ReleaseNoIrq();
            Schedule();
        }

        /// <summary>Makes a blocked thread runnable (any context). Waking a thread that is not blocked does nothing.</summary>
        public static void Wake(Thread t)
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            if (t.State == ThreadState.Blocked || t.State == ThreadState.New)
            {
                int target = t.Affinity >= 0 ? t.Affinity : t.Cpu;
                RunQueue q = s_queues[target];
                q.Lock.AcquireNoIrq();
                if (t.State == ThreadState.Blocked || t.State == ThreadState.New)
                {
                    t.State = ThreadState.Ready;
                    t.Next = null;
                    if (q.Tail == null) q.Head = q.Tail = t; else { q.Tail.Next = t; q.Tail = t; }
                    q.Count++;
                    if (IsStealable(t)) q.Stealable++;
                }
                q.Lock.ReleaseNoIrq();
                if (s_started)
                {
                    CpuLocal* self = PerCpu.Current();
                    if (target == self->Index) self->NeedReschedule = 1;
                    else Interprocessor.Reschedule(target);
                }
            }
            if (irq) Cpu.EnableInterrupts();
        }

        private static bool IsStealable(Thread t) => t.Affinity < 0 && t.OperationDepth == 0;

        /// <summary>Whether another CPU has queued work this CPU could steal (pinned threads do not count, or idle CPUs would spin).</summary>
        private static bool AnyStealable(int self)
        {
            for (int i = 0; i < s_cpuCount; i++)
                if (i != self && System.Threading.Volatile.Read(in s_queues[i].Stealable) > 0) return true;
            return false;
        }

        private static Thread Steal(int self)
        {
            for (int k = 1; k < s_cpuCount; k++)
            {
                RunQueue q = s_queues[(self + k) % s_cpuCount];
                if (System.Threading.Volatile.Read(in q.Stealable) == 0) continue;
                q.Lock.AcquireNoIrq();
                Thread prev = null;
                for (Thread t = q.Head; t != null; prev = t, t = t.Next)
                {
                    // Pinned threads stay; so do threads inside an operation, whose
                    // generation counts live on this CPU (Operations' invariant).
                    if (!IsStealable(t)) continue;
                    if (prev == null) q.Head = t.Next; else prev.Next = t.Next;
                    if (q.Tail == t) q.Tail = prev;
                    q.Count--;
                    q.Stealable--;
                    t.Next = null;
                    q.Lock.ReleaseNoIrq();
                    System.Threading.Interlocked.Increment(ref s_steals);
                    return t;
                }
                q.Lock.ReleaseNoIrq();
            }
            return null;
        }

        /// <summary>The core of every switch; interrupts must be off. See the class comment for the steps.</summary>
        public static void Schedule()
        {
            CpuLocal* cpu = PerCpu.Current();
            RunQueue q = s_queues[cpu->Index];
            Thread cur = ObjectRef.FromAddress<Thread>(cpu->CurrentThread);
            q.Lock.AcquireNoIrq();
            if (cur.State == ThreadState.Running && !cur.IsIdle)
            {
                cur.State = ThreadState.Ready;
                cur.Next = null;
                if (q.Tail == null) q.Head = q.Tail = cur; else { q.Tail.Next = cur; q.Tail = cur; }
                q.Count++;
                if (IsStealable(cur)) q.Stealable++;
            }
            Thread next = q.Head;
            if (next != null)
            {
                q.Head = next.Next;
                if (q.Head == null) q.Tail = null;
                q.Count--;
                if (IsStealable(next)) q.Stealable--;
                next.Next = null;
            }
            q.Lock.ReleaseNoIrq();
            if (next == null) next = Steal(cpu->Index);
            if (next == null)
            {
                if (cur.IsIdle) return;
                next = q.Idle;
            }
            q.QuantumLeft = QuantumTicks;
            if (next == cur) { cur.State = ThreadState.Running; return; }
            while (next.OnCpu != 0) Cpu.Relax();
            next.OnCpu = 1;
            next.State = ThreadState.Running;
            next.Cpu = cpu->Index;
            next.Switches++;
            cpu->CurrentThread = ObjectRef.AddressOf(next);
            cpu->ContextSwitches++;
            q.Previous = cur;
            ThreadContext.Switch((nint*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref cur.SavedSp), next.SavedSp);
            FinishSwitch();
        }

        /// <summary>Step 5: runs first in every resumed or new thread.</summary>
        private static void FinishSwitch()
        {
            RunQueue q = s_queues[PerCpu.Current()->Index];
            Thread prev = q.Previous;
            q.Previous = null;
            if (prev == null) return;
            bool dead = prev.State == ThreadState.Dead;
            prev.OnCpu = 0;
            if (!dead) return;
            if (prev.StackPhysical != 0)
            {
                Stacks.Free(prev.StackBottom, prev.StackPages * 4096, prev.StackPhysical);
                prev.StackPhysical = 0;
            }
            // Set under the joiners' lock: a joiner sees it only after this CPU is done with prev.
            prev.Joiners.Signal(&MarkFinished, ObjectRef.AddressOf(prev), true);
        }

        private static void MarkFinished(nint thread)
        {
            System.Threading.Volatile.Write(ref ObjectRef.FromAddress<Thread>(thread).Finished, 1);
        }

        /// <summary>
        /// The timer tick on this CPU (interrupt context): wakes due sleepers,
        /// fires due timers in deadline order, and ends the running thread's
        /// quantum.
        /// </summary>
        public static void Tick()
        {
            CpuLocal* cpu = PerCpu.Current();
            cpu->Ticks++;
            Operations.Advance();
            int generation = Operations.BeginInterrupt();
            RunQueue q = s_queues[cpu->Index];
            ulong now = Clock.NanosecondsSinceBoot();
            while (q.Sleepers != null && q.Sleepers.WakeAtNs <= now)
            {
                Thread t = q.Sleepers;
                q.Sleepers = t.SleepNext;
                t.SleepNext = null;
                Wake(t);
            }
            while (q.Timers != null && q.Timers.DeadlineNs <= now)
            {
                TimerEntry e = q.Timers;
                q.Timers = e.Next;
                e.Next = null;
                e.Pending = 0;
                e.Callback(e.Argument);
            }
            Operations.EndInterrupt(generation);
            if (--q.QuantumLeft <= 0)
            {
                q.QuantumLeft = QuantumTicks;
                if (q.Count > 0 || AnyStealable(cpu->Index)) cpu->NeedReschedule = 1;
            }
        }

        /// <summary>Blocks the calling thread for at least <paramref name="nanoseconds"/> (never less; up to one tick more).</summary>
        public static void Sleep(ulong nanoseconds)
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            CpuLocal* cpu = PerCpu.Current();
            RunQueue q = s_queues[cpu->Index];
            Thread t = Current;
            t.WakeAtNs = Clock.NanosecondsSinceBoot() + nanoseconds;
            t.Cpu = cpu->Index;
            if (q.Sleepers == null || q.Sleepers.WakeAtNs > t.WakeAtNs) { t.SleepNext = q.Sleepers; q.Sleepers = t; }
            else
            {
                Thread p = q.Sleepers;
                while (p.SleepNext != null && p.SleepNext.WakeAtNs <= t.WakeAtNs) p = p.SleepNext;
                t.SleepNext = p.SleepNext;
                p.SleepNext = t;
            }
            t.State = ThreadState.Blocked;
            Schedule();
            if (irq) Cpu.EnableInterrupts();
        }

        /// <summary>
        /// Arms a one-shot timer on this CPU: <paramref name="entry"/>'s callback
        /// runs in interrupt context at the first tick at or after the
        /// deadline. Timers with equal deadlines fire in the order armed.
        /// Returns false if the entry is already armed. The caller owns the entry.
        /// </summary>
        public static bool ArmTimer(TimerEntry entry, ulong deadlineNs)
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            if (entry.Pending != 0) { if (irq) Cpu.EnableInterrupts(); return false; }
            RunQueue q = s_queues[PerCpu.Current()->Index];
            entry.DeadlineNs = deadlineNs;
            entry.Pending = 1;
            if (q.Timers == null || q.Timers.DeadlineNs > deadlineNs) { entry.Next = q.Timers; q.Timers = entry; }
            else
            {
                TimerEntry p = q.Timers;
                while (p.Next != null && p.Next.DeadlineNs <= deadlineNs) p = p.Next;
                entry.Next = p.Next;
                p.Next = entry;
            }
            if (irq) Cpu.EnableInterrupts();
            return true;
        }

        /// <summary>Called by the arch's interrupt exit path: switches if a reschedule is due and allowed.</summary>
        public static void PreemptIfNeeded()
        {
            CpuLocal* cpu = PerCpu.Current();
            if (!s_started || cpu->NeedReschedule == 0 || cpu->PreemptDisable != 0 || cpu->InterruptDepth != 0) return;
            cpu->NeedReschedule = 0;
            Schedule();
        }

    }

    /// <summary>A one-shot timer armed with <see cref="Scheduler.ArmTimer"/>.</summary>
    public sealed unsafe class TimerEntry
    {
        public ulong DeadlineNs;
        public delegate*<nint, void> Callback;
        public nint Argument;
        internal TimerEntry Next;
        internal volatile int Pending;
        public bool IsPending => Pending != 0;
    }
}
