using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Threading;
using Molt.Time;
using Thread = Molt.Threading.Thread;

namespace Molt.Bench
{
    /// <summary>
    /// How every benchmark is timed.
    /// 1. Calibrate: run the timed function with 16 iterations, then 8 times
    ///    more each round until one run takes at least an eighth of
    ///    <see cref="TargetNs"/>; scale the count so one run takes about
    ///    <see cref="TargetNs"/>, and check that by running it (rescaling up
    ///    to twice if it is off by 2x or more).
    /// 2. Run it <see cref="Repeats"/> times with that count and keep the median
    ///    elapsed time (timestamp-counter ticks, converted with <see cref="Clock.FrequencyHz"/>).
    /// A timed function takes an iteration count and returns elapsed ticks;
    /// it must not allocate inside its timed loop except what it measures.
    /// </summary>
    public static unsafe class Measure
    {
        public const int Repeats = 5;
        /// <summary>One repeat's target length: 5 repeats plus calibration keep a single-CPU row near 200 ms under QEMU TCG.</summary>
        public const ulong TargetNs = 30_000_000;
        private const long MaxIterations = 1L << 40;

        /// <summary>Calibrates, runs <see cref="Repeats"/> times; returns the median elapsed nanoseconds and the iteration count used.</summary>
        public static ulong Median(delegate*<long, ulong> run, out long iterations)
        {
            iterations = Calibrate(run);
            return Median(run, iterations);
        }

        /// <summary>Runs <see cref="Repeats"/> times with <paramref name="n"/> iterations; returns the median elapsed nanoseconds.</summary>
        public static ulong Median(delegate*<long, ulong> run, long n)
        {
            ulong* samples = stackalloc ulong[Repeats];
            for (int i = 0; i < Repeats; i++) samples[i] = Clock.TicksToNanoseconds(run(n));
            return MedianOf(samples);
        }

        public const int PairedRounds = 11;

        /// <summary>
        /// The ratio of two timed functions' cost per iteration, in thousandths,
        /// robust to a noisy host: <see cref="PairedRounds"/> rounds each run
        /// <paramref name="a"/> and <paramref name="b"/> back to back (alternating
        /// which goes first), take the round's ratio of ns per iteration, and
        /// return the median round. Slow-downs that hit both halves of a round
        /// cancel out. <paramref name="na"/> and <paramref name="nb"/> are
        /// calibrated counts (from <see cref="Median(delegate*{long, ulong}, out long)"/>).
        /// </summary>
        public static long PairedRatio(delegate*<long, ulong> a, long na, delegate*<long, ulong> b, long nb)
        {
            ulong* ratios = stackalloc ulong[PairedRounds];
            for (int r = 0; r < PairedRounds; r++)
            {
                ulong ta, tb;
                if ((r & 1) == 0) { ta = run1(a, na); tb = run1(b, nb); }
                else { tb = run1(b, nb); ta = run1(a, na); }
                // (tb / nb) / (ta / na) in thousandths; ta, tb are at most a few 10^8 ns.
                ulong perA = ta * 1000 / (ulong)na, perB = tb * 1000 / (ulong)nb;
                ratios[r] = perA == 0 ? 0 : perB * 1000 / perA;
            }
            for (int i = 1; i < PairedRounds; i++)
                for (int j = i; j > 0 && ratios[j - 1] > ratios[j]; j--)
                { ulong t = ratios[j]; ratios[j] = ratios[j - 1]; ratios[j - 1] = t; }
            return (long)ratios[PairedRounds / 2];

            static ulong run1(delegate*<long, ulong> f, long n) => Clock.TicksToNanoseconds(f(n));
        }

        /// <summary>Sorts <see cref="Repeats"/> samples in place and returns the middle one (at least 1).</summary>
        private static ulong MedianOf(ulong* samples)
        {
            for (int i = 1; i < Repeats; i++)
                for (int j = i; j > 0 && samples[j - 1] > samples[j]; j--)
                { ulong t = samples[j]; samples[j] = samples[j - 1]; samples[j - 1] = t; }
            ulong median = samples[Repeats / 2];
            return median == 0 ? 1 : median;
        }

        private static long Calibrate(delegate*<long, ulong> run)
        {
            long n = 16;
            ulong ns;
            while (true)
            {
                ns = Clock.TicksToNanoseconds(run(n));
                if (ns >= TargetNs / 8 || n >= MaxIterations) break;
                n *= 8;
            }
            // A short run is noisy (a tick, a host thread descheduled): check the
            // scaled count once or twice and correct it if it missed by 2x or more.
            for (int check = 0; check < 2; check++)
            {
                n = Scale(n, ns);
                ns = Clock.TicksToNanoseconds(run(n));
                if (ns >= TargetNs / 2 && ns <= TargetNs * 2) break;
            }
            return n;
        }

        private static long Scale(long n, ulong ns)
        {
            if (ns == 0) return n >= MaxIterations / 8 ? MaxIterations : n * 8;
            ulong scaled = (ulong)n * TargetNs / ns;
            return scaled < 1 ? 1 : scaled > (ulong)MaxIterations ? MaxIterations : (long)scaled;
        }

        /// <summary>Thousandths of nanoseconds per operation.</summary>
        public static long MilliNsPerOp(ulong ns, long ops) => ops <= 0 ? 0 : (long)(ns * 1000 / (ulong)ops);

        /// <summary>Operations per second, in thousandths (whole operations; the fraction is dropped).</summary>
        public static long MilliOpsPerSecond(ulong ns, long ops) => ns == 0 ? 0 : (long)((ulong)ops * 1_000_000_000UL / ns) * 1000;

        /// <summary>
        /// Runs <paramref name="body"/> on 1, 2 and 4 CPUs at once (CPUs 0..k-1;
        /// counts above the online CPUs are skipped) and reports three kinds of row:
        /// <paramref name="name"/>, ns per operation as each CPU sees it (wall / operations per CPU);
        /// <paramref name="throughputName"/>, operations per second over all CPUs;
        /// <paramref name="scalingName"/> (k &gt; 1), that throughput over the 1-CPU throughput (ideal: k).
        /// The names are separate constants so that no string is built at run time.
        /// One iteration of the body is <paramref name="opsPerIteration"/> operations.
        /// Every CPU count runs the same iterations per CPU, calibrated on one CPU,
        /// so a repeat at k CPUs takes about as long as at one when it scales;
        /// the repeats of the three counts are interleaved.
        /// </summary>
        public static void ScalingRows(string name, string throughputName, string scalingName, string note, delegate*<int, long, void> body, int opsPerIteration)
        {
            int online = Smp.Processors.Online;
            s_scalingBody = body;
            s_scalingCpus = 1;
            long n = Calibrate(&RunScaling);
            // Repeats interleave the CPU counts (1, 2, 4, 1, 2, 4, ...) so that a
            // slow spell of the host hits every count alike instead of skewing one ratio.
            const int Configs = 3;
            ulong* samples = stackalloc ulong[Configs * Repeats];
            for (int r = 0; r < Repeats; r++)
                for (int c = 0; c < Configs; c++)
                {
                    int k = 1 << c;
                    if (k > online) continue;
                    s_scalingCpus = k;
                    samples[c * Repeats + r] = Clock.TicksToNanoseconds(RunScaling(n));
                }
            long opsPerCpu = n * opsPerIteration;
            long milliAt1 = 0;
            for (int c = 0; c < Configs; c++)
            {
                int k = 1 << c;
                if (k > online) { Console.Log.Info("bench", $"{name}: {k} CPUs skipped, {online} online"); continue; }
                ulong ns = MedianOf(samples + c * Repeats);
                long milli = MilliNsPerOp(ns, opsPerCpu);
                BenchRunner.Report(name, k, note, milli, "ns/op", opsPerCpu * k);
                BenchRunner.Report(throughputName, k, "all CPUs together", MilliOpsPerSecond(ns, opsPerCpu * k), "ops/s", opsPerCpu * k);
                if (k == 1) milliAt1 = milli;
                // (k ops / t_k) / (1 op / t_1), with t the time per operation on each CPU.
                else if (milli > 0 && milliAt1 > 0)
                    BenchRunner.Report(scalingName, k, k == 2 ? "ops/s 2 CPUs / 1 CPU" : "ops/s 4 CPUs / 1 CPU", k * milliAt1 * 1000 / milli, "ratio", opsPerCpu * k);
            }
        }

        private static delegate*<int, long, void> s_scalingBody;
        private static int s_scalingCpus;
        private static ulong RunScaling(long n) => OnThreads(s_scalingCpus, s_scalingBody, n);

        /// <summary>Elapsed ticks of a loop run on the calling thread, for the single-CPU benchmarks.</summary>
        public static ulong Time(delegate*<long, void> body, long n)
        {
            ulong start = Cpu.ReadTimestamp();
            body(n);
            return Cpu.ReadTimestamp() - start;
        }

        // ---- several threads at once ----
        private static delegate*<int, long, void> s_body;
        private static long s_n;
        private static int s_threads;
        private static int s_ready;
        private static bool s_shareCpu;
        private static ulong[] s_start, s_end;

        /// <summary>
        /// Runs <paramref name="body"/>(index, n) on <paramref name="threads"/> threads,
        /// thread i pinned to CPU i (or all on CPU <paramref name="sharedCpu"/> when it is 0 or more).
        /// The threads meet at a barrier first (spinning, or yielding when they share a CPU),
        /// then each reads the timestamp, runs the body and reads it again.
        /// Returns the wall time in ticks: the last end minus the first start.
        /// The calling thread only spawns and joins; it is blocked while they run.
        /// </summary>
        public static ulong OnThreads(int threads, delegate*<int, long, void> body, long n, int sharedCpu = -1)
        {
            if (s_start == null) Diagnostics.Panic.Fail("bench: Measure.Prepare was not called");
            if (threads > Scheduler.MaxCpus) Diagnostics.Panic.Fail("bench: too many threads");
            s_body = body;
            s_n = n;
            s_threads = threads;
            s_shareCpu = sharedCpu >= 0;
            Volatile.Write(ref s_ready, 0);
            var spawned = new Thread[threads];
            for (int i = 0; i < threads; i++)
            {
                spawned[i] = Scheduler.Spawn(&ThreadMain, i, "bench", sharedCpu >= 0 ? sharedCpu : i);
                if (spawned[i] == null) Diagnostics.Panic.Fail("bench: no memory to spawn a thread");
            }
            for (int i = 0; i < threads; i++)
            {
                spawned[i].Join();
                Heap.Free(spawned[i]);
            }
            Heap.Free(spawned);
            ulong first = s_start[0], last = s_end[0];
            for (int i = 1; i < threads; i++)
            {
                if (s_start[i] < first) first = s_start[i];
                if (s_end[i] > last) last = s_end[i];
            }
            return last - first;
        }

        private static void ThreadMain(nint index)
        {
            Interlocked.Increment(ref s_ready);
            while (Volatile.Read(in s_ready) < s_threads)
            {
                if (s_shareCpu) Scheduler.Yield(); else Cpu.Relax();
            }
            s_start[index] = Cpu.ReadTimestamp();
            s_body((int)index, s_n);
            s_end[index] = Cpu.ReadTimestamp();
        }

        /// <summary>Allocates the per-thread timestamp arrays, before any benchmark reads the heap's usage.</summary>
        public static void Prepare()
        {
            if (s_start == null) { s_start = new ulong[Scheduler.MaxCpus]; s_end = new ulong[Scheduler.MaxCpus]; }
        }

        /// <summary>Frees the per-thread timestamp arrays.</summary>
        public static void Release()
        {
            if (s_start != null) { Heap.Free(s_start); Heap.Free(s_end); s_start = s_end = null; }
        }
    }
}
