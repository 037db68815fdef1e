using System.Threading;
using Molt.Hal;

namespace Molt.Smp
{
    /// <summary>
    /// Inter-processor requests: reschedule, "run this function on CPU n",
    /// and TLB shoot-down. Each CPU has one call mailbox; a sender claims it,
    /// fills it, sends the IPI, and (if asked) waits until the target marks it done.
    /// Callable with interrupts on; the call function runs in interrupt
    /// context on the target and must not block.
    /// </summary>
    public static unsafe class Interprocessor
    {
        private struct Mailbox
        {
            public int Busy;
            public int Done;
            public int Waiting;
            public ulong Function;
            public nint Argument;
            public fixed byte Pad[36];
        }

        private struct Mailboxes { public fixed byte Bytes[64 * Threading.Scheduler.MaxCpus]; }
        private static Mailboxes s_boxes;
        private static ulong s_shootdownAddress;
        private static int s_shootdownPending;
        private static ulong s_reschedules, s_calls, s_shootdowns;

        public static ulong ReschedulesSent => s_reschedules;

        private static Mailbox* Box(int cpu) => (Mailbox*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref s_boxes) + cpu;

        public static void Reschedule(int cpu)
        {
            s_reschedules++;
            Platform.SendIpi(cpu, IpiKind.Reschedule);
        }

        /// <summary>Runs <paramref name="function"/>(<paramref name="argument"/>) on <paramref name="cpu"/>; with <paramref name="wait"/>, returns after it ran.</summary>
        public static void Call(int cpu, delegate*<nint, void> function, nint argument, bool wait)
        {
            Mailbox* box = Box(cpu);
            while (Interlocked.CompareExchange(ref box->Busy, 1, 0) != 0) Cpu.Relax();
            box->Function = (ulong)function;
            box->Argument = argument;
            box->Waiting = wait ? 1 : 0;
            Volatile.Write(ref box->Done, 0);
            s_calls++;
            Platform.SendIpi(cpu, IpiKind.Call);
            if (!wait) return;
            // The waiting sender releases the mailbox, so no later sender can reset Done first.
            while (Volatile.Read(in box->Done) == 0) Cpu.Relax();
            Volatile.Write(ref box->Busy, 0);
        }

        /// <summary>Asks every other online CPU to drop its TLB entry for <paramref name="address"/> (or everything, with ~0) and waits for all of them.</summary>
        public static void ShootDown(ulong address, int cpuCount, int self)
        {
            s_shootdownAddress = address;
            Volatile.Write(ref s_shootdownPending, cpuCount - 1);
            for (int i = 0; i < cpuCount; i++)
                if (i != self) Platform.SendIpi(i, IpiKind.TlbShootdown);
            while (Volatile.Read(in s_shootdownPending) > 0) Cpu.Relax();
            s_shootdowns++;
        }

        /// <summary>Called by the arch's interrupt path on the target CPU.</summary>
        public static void Handle(IpiKind kind)
        {
            CpuLocal* cpu = PerCpu.Current();
            switch (kind)
            {
                case IpiKind.Reschedule:
                    cpu->NeedReschedule = 1;
                    break;
                case IpiKind.Call:
                    Mailbox* box = Box(cpu->Index);
                    var f = (delegate*<nint, void>)box->Function;
                    nint arg = box->Argument;
                    bool waiting = box->Waiting != 0;
                    if (!waiting) Volatile.Write(ref box->Busy, 0);
                    f(arg);
                    if (waiting) Volatile.Write(ref box->Done, 1);
                    break;
                case IpiKind.TlbShootdown:
                    PageTables.FlushLocal(s_shootdownAddress);
                    Interlocked.Decrement(ref s_shootdownPending);
                    break;
            }
        }
    }
}
