using System.Threading;
using Molt.Smp;
using Molt.Threading;
using Molt.Time;

namespace Molt.Update
{
    /// <summary>
    /// System-wide quiescent points, built on the per-CPU generation counts
    /// of <see cref="Operations"/>. No global lock and no token: the waiter
    /// snapshots every CPU's advance count and waits until each has moved on
    /// by two, which is when every operation active anywhere at the snapshot
    /// has ended. Each CPU advances from its own tick.
    /// The waiter leaves its own operation while it waits, or it would wait
    /// for itself.
    /// </summary>
    public static unsafe class Quiescence
    {
        public const ulong DefaultTimeoutNs = 2_000_000_000;

        /// <summary>Waits for a system-wide marker; false (with the CPU still holding it up) after <paramref name="timeoutNs"/>.</summary>
        public static bool WaitForMarker(ulong timeoutNs, out int stuckCpu)
        {
            int n = Processors.Count;
            ulong* target = stackalloc ulong[n];
            // Everything stored before the request (a Forward state, cleared
            // LTT entries) must be visible before the advance counts are read:
            // an operation that starts after a CPU's next advance is not waited
            // for, so it must already see those stores.
            Interlocked.MemoryBarrier();
            for (int c = 0; c < n; c++) target[c] = Operations.Advances(c) + 2;
            int depth = Operations.Pause();
            ulong deadline = Clock.NanosecondsSinceBoot() + timeoutNs;
            stuckCpu = -1;
            bool elapsed = false;
            while (true)
            {
                int waiting = -1;
                for (int c = 0; c < n; c++)
                    if (Processors.Get(c)->Online != 0 && Operations.Advances(c) < target[c]) { waiting = c; break; }
                if (waiting < 0) { elapsed = true; break; }
                if (Clock.NanosecondsSinceBoot() >= deadline)
                {
                    stuckCpu = waiting;
                    CpuLocal* w = Processors.Get(waiting);
                    Console.Log.Warn("quiesce", $"no quiescent point: CPU {waiting} has {w->ActiveOperations0 + w->ActiveOperations1} operations active, advanced {w->Advances - (target[waiting] - 2)} of 2 times");
                    break;
                }
                Scheduler.Sleep(500_000);
            }
            Operations.Resume(depth);
            return elapsed;
        }

        public static bool WaitForMarker() { int ignored; return WaitForMarker(DefaultTimeoutNs, out ignored); }

        /// <summary>Nanoseconds from request to a system-wide marker (for benchmarks), or 0 on time-out.</summary>
        public static ulong MeasureMarker()
        {
            ulong start = Clock.NanosecondsSinceBoot();
            int stuck;
            if (!WaitForMarker(DefaultTimeoutNs, out stuck)) return 0;
            return Clock.NanosecondsSinceBoot() - start;
        }
    }
}
