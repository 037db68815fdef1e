using System.Threading;
using Molt.Hal;
using Molt.Interrupts;
using Molt.Memory;
using Molt.Testing;
using Molt.Threading;
using Molt.Time;
using Thread = Molt.Threading.Thread;

namespace Molt.Tests
{
    /// <summary>Interrupt registration, and the SIMD state of preempted threads.</summary>
    internal static unsafe class InterruptTests
    {
        public static void Register()
        {
            TestRunner.Add("irq.registered_handler_runs", &HandlerRuns);
            TestRunner.Add("irq.double_registration_refused", &DoubleRegistration);
            TestRunner.Add("irq.tick_advances_on_every_cpu", &TicksEverywhere);
            TestRunner.Add("sched.simd_state_survives_preemption", &SimdSurvives);
        }

        private static int s_hits;
        private static int s_lastVector;
        private static void Handler(int vector) { s_lastVector = vector; Interlocked.Increment(ref s_hits); }

        private static void HandlerRuns(TestContext t)
        {
            int vector = Platform.FirstDeviceVector() + 5;
            s_hits = 0;
            t.True(InterruptHandlers.Register(vector, &Handler), "register");
            for (int i = 0; i < 3; i++) Platform.RaiseOnThisCpu(vector);
            ulong start = Clock.NanosecondsSinceBoot();
            while (Volatile.Read(in s_hits) < 3 && Clock.NanosecondsSinceBoot() - start < 100_000_000) Cpu.Relax();
            InterruptHandlers.Unregister(vector);
            t.Equal(3, s_hits, "handler ran once per raise");
            t.Equal(vector, s_lastVector, "handler got its vector");
            t.True(InterruptHandlers.Count(vector) >= 3, "per-vector count");
        }

        private static void DoubleRegistration(TestContext t)
        {
            int vector = Platform.FirstDeviceVector() + 6;
            t.True(InterruptHandlers.Register(vector, &Handler), "first registration");
            t.True(!InterruptHandlers.Register(vector, &Handler), "second registration refused");
            t.True(!InterruptHandlers.Register(100000, &Handler), "out-of-range vector refused");
            InterruptHandlers.Unregister(vector);
            t.True(InterruptHandlers.Register(vector, &Handler), "free again after unregister");
            InterruptHandlers.Unregister(vector);
        }

        private static void TicksEverywhere(TestContext t)
        {
            // Waits up to 2 s: on a loaded host a virtual CPU may not run for a while.
            int n = Smp.Processors.Count;
            ulong* before = stackalloc ulong[n];
            for (int i = 0; i < n; i++) before[i] = Smp.Processors.Get(i)->Ticks;
            ulong start = Clock.NanosecondsSinceBoot();
            int behind;
            do
            {
                Scheduler.Sleep(5_000_000);
                behind = 0;
                for (int i = 0; i < n; i++) if (Smp.Processors.Get(i)->Ticks <= before[i]) behind++;
            } while (behind > 0 && Clock.NanosecondsSinceBoot() - start < 2_000_000_000UL);
            t.Equal(0, behind, "CPUs that took no timer tick in 2 s");
        }

        private const int Iterations = 3_000_000;
        private static double[] s_results;
        private static volatile int s_go;

        // Keeps a running sum in SIMD registers across long stretches, so a
        // preemption that lost xmm state would change the result.
        private static void SimdWorker(nint id)
        {
            while (s_go == 0) Scheduler.Yield();
            double step = 0.25 * (id + 1), acc = 0;
            // No voluntary yields: only the tick switches these threads.
            for (int i = 0; i < Iterations; i++) acc += step;
            s_results[id] = acc;
        }

        private static void SimdSurvives(TestContext t)
        {
            s_results = new double[4];
            s_go = 0;
            int cpu = Scheduler.CurrentCpu;
            var threads = new Thread[4];
            for (int i = 0; i < 4; i++) threads[i] = Scheduler.Spawn(&SimdWorker, i, "simd", cpu);
            s_go = 1;
            ulong switches = 0;
            for (int i = 0; i < 4; i++) { threads[i].Join(); switches += threads[i].Switches; Heap.Free(threads[i]); }
            t.True(switches > 4, "the workers were preempted while summing");
            Heap.Free(threads);
            for (int i = 0; i < 4; i++) t.True(s_results[i] == 0.25 * (i + 1) * Iterations, "sum computed across preemptions is exact");
            Heap.Free(s_results);
        }
    }
}
