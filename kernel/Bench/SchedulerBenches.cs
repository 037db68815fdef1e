using Molt.Console;
using Molt.Memory;
using Molt.Smp;
using Molt.Threading;

namespace Molt.Bench
{
    /// <summary>
    /// Thread switches.
    /// <c>sched.switch_yield</c>: two threads pinned to CPU 0 call
    /// <see cref="Scheduler.Yield"/> in turn; ns per switch (wall / both threads' yields).
    /// <c>sched.switch_semaphore</c>: two threads pinned to CPU 0 ping-pong
    /// through two semaphores (A releases B's and waits on its own, B the
    /// reverse); ns per hand-off (wall / 2 per round trip): a block, a wake-up
    /// and a switch each.
    /// <c>sched.wakeup_cross_cpu</c>: the same ping-pong with the threads on
    /// CPUs 0 and 1, so each hand-off is a wake-up with a reschedule IPI; skipped on one CPU.
    /// </summary>
    internal static unsafe class SchedulerBenches
    {
        public static void Register()
        {
            BenchRunner.Add("sched.switch_yield", &SwitchYield);
            BenchRunner.Add("sched.switch_semaphore", &SwitchSemaphore);
            BenchRunner.Add("sched.wakeup_cross_cpu", &WakeupCrossCpu);
        }

        private static void YieldBody(int index, long n)
        {
            for (long i = 0; i < n; i++) Scheduler.Yield();
        }

        private static ulong RunYield(long n) => Measure.OnThreads(2, &YieldBody, n, 0);

        private static void SwitchYield()
        {
            CpuLocal* cpu0 = Processors.Get(0);
            ulong switchesBefore = cpu0->ContextSwitches;
            long n;
            ulong ns = Measure.Median(&RunYield, out n);
            BenchRunner.Report("sched.switch_yield", 1, "2 threads, Scheduler.Yield", Measure.MilliNsPerOp(ns, 2 * n), "ns/op", 2 * n);
            Log.Info("bench", $"sched.switch_yield: CPU 0 switched {cpu0->ContextSwitches - switchesBefore} times in all runs");
        }

        private static Semaphore s_ping, s_pong;

        private static void PingPongBody(int index, long n)
        {
            if (index == 0)
                for (long i = 0; i < n; i++) { s_pong.Release(); s_ping.Wait(); }
            else
                for (long i = 0; i < n; i++) { s_pong.Wait(); s_ping.Release(); }
        }

        private static ulong RunPingPongSameCpu(long n) => Measure.OnThreads(2, &PingPongBody, n, 0);
        private static ulong RunPingPongTwoCpus(long n) => Measure.OnThreads(2, &PingPongBody, n);

        private static void PingPong(string name, int cpus, string note, delegate*<long, ulong> run)
        {
            s_ping = new Semaphore(0);
            s_pong = new Semaphore(0);
            ulong switchesBefore = Processors.Get(0)->ContextSwitches;
            long n;
            ulong ns = Measure.Median(run, out n);
            BenchRunner.Report(name, cpus, note, Measure.MilliNsPerOp(ns, 2 * n), "ns/op", 2 * n);
            Log.Info("bench", $"{name}: CPU 0 switched {Processors.Get(0)->ContextSwitches - switchesBefore} times in all runs");
            if (s_ping.Count != 0 || s_pong.Count != 0) Log.Warn("bench", $"{name}: semaphores left at {s_ping.Count} and {s_pong.Count}");
            Heap.Free(s_ping);
            Heap.Free(s_pong);
        }

        private static void SwitchSemaphore() =>
            PingPong("sched.switch_semaphore", 1, "2 threads, semaphore ping-pong", &RunPingPongSameCpu);

        private static void WakeupCrossCpu()
        {
            if (Processors.Online < 2) { Log.Info("bench", $"sched.wakeup_cross_cpu skipped: one CPU"); return; }
            PingPong("sched.wakeup_cross_cpu", 2, "CPU 0 <-> CPU 1, semaphores", &RunPingPongTwoCpus);
        }
    }
}
