using System.Threading;
using Molt.Console;
using Molt.Smp;
using Molt.Threading;
using SpinLock = Molt.Threading.SpinLock;

namespace Molt.Bench
{
    /// <summary>
    /// Spinlocks and inter-processor calls.
    /// <c>spinlock.uncontended</c>: the boot thread on CPU 0 takes and
    /// releases a lock nobody else touches (Acquire disables interrupts,
    /// Release restores them) around a counter increment; ns per pair.
    /// <c>spinlock.contended</c>: a thread pinned to every online CPU runs the
    /// same loop on one shared lock; ns per acquire/release = wall time / all
    /// acquisitions (the lock's time per hand-off; each CPU waits about
    /// cpus times that for its own turn). Skipped on one CPU.
    /// <c>ipi.call_round_trip</c>: CPU 0 calls <see cref="Interprocessor.Call"/>
    /// on CPU 1 (idle, halted) with wait: true and a function that counts;
    /// ns per call from send to seeing it done. Skipped on one CPU.
    /// </summary>
    internal static unsafe class SyncBenches
    {
        public static void Register()
        {
            BenchRunner.Add("spinlock.uncontended", &Uncontended);
            BenchRunner.Add("spinlock.contended", &Contended);
            BenchRunner.Add("ipi.call_round_trip", &IpiRoundTrip);
        }

        private static SpinLock s_lock;
        private static long s_counter;

        private static void LockLoop(long n)
        {
            for (long i = 0; i < n; i++)
            {
                bool irq = s_lock.Acquire();
                s_counter++;
                s_lock.Release(irq);
            }
        }

        private static ulong RunUncontended(long n) => Measure.Time(&LockLoop, n);

        private static void Uncontended()
        {
            s_counter = 0;
            long n;
            ulong ns = Measure.Median(&RunUncontended, out n);
            BenchRunner.Report("spinlock.uncontended", 1, "boot thread, 1 lock", Measure.MilliNsPerOp(ns, n), "ns/op", n);
        }

        private static int s_threads;
        private static void LockBody(int index, long n) => LockLoop(n);
        private static ulong RunContended(long n)
        {
            s_counter = 0;
            ulong ticks = Measure.OnThreads(s_threads, &LockBody, n);
            if (s_counter != s_threads * n) Log.Warn("bench", $"spinlock.contended: counter {s_counter}, expected {s_threads * n}");
            return ticks;
        }

        private static void Contended()
        {
            if (Processors.Online < 2) { Log.Info("bench", $"spinlock.contended skipped: one CPU"); return; }
            s_threads = Processors.Online;
            ulong contendedBefore = s_lock.Contended;
            long n;
            ulong ns = Measure.Median(&RunContended, out n);
            long total = n * s_threads;
            BenchRunner.Report("spinlock.contended", s_threads, "all CPUs, 1 lock", Measure.MilliNsPerOp(ns, total), "ns/op", total);
            Log.Info("bench", $"spinlock.contended: the lock was found held {s_lock.Contended - contendedBefore} times in all runs");
        }

        private static long s_calls;
        private static void CountCall(nint unused) => Interlocked.Increment(ref s_calls);

        private static void CallLoop(long n)
        {
            for (long i = 0; i < n; i++) Interprocessor.Call(1, &CountCall, 0, true);
        }

        private static ulong RunIpi(long n) => Measure.Time(&CallLoop, n);

        private static void IpiRoundTrip()
        {
            if (Processors.Online < 2) { Log.Info("bench", $"ipi.call_round_trip skipped: one CPU"); return; }
            if (Scheduler.CurrentCpu != 0) Diagnostics.Panic.Fail("bench: the boot thread is not on CPU 0");
            s_calls = 0;
            long n;
            ulong ns = Measure.Median(&RunIpi, out n);
            BenchRunner.Report("ipi.call_round_trip", 2, "CPU 0 -> CPU 1 (idle), wait", Measure.MilliNsPerOp(ns, n), "ns/op", n);
        }
    }
}
