namespace Molt.Bench
{
    /// <summary>
    /// The control for every multi-CPU row: a loop that touches no memory
    /// (an xorshift step in registers, its result stored once per thread in
    /// its own cache line). It shares nothing, so its scaling is what the
    /// machine itself gives: on hardware about the CPU count; under QEMU TCG
    /// it is bounded by the host cores left for the vCPU threads. Compare
    /// <c>heap.alloc_free.scaling</c> with <c>baseline.compute.scaling</c> from the same run.
    /// </summary>
    internal static unsafe class BaselineBenches
    {
        public static void Register()
        {
            BenchRunner.Add("baseline.compute", &Compute);
        }

        private struct Slots { public fixed ulong Value[8 * Threading.Scheduler.MaxCpus]; }
        private static Slots s_sink;

        private static void Body(int index, long n)
        {
            ulong x = 0x9E3779B97F4A7C15UL + (ulong)index;
            for (long i = 0; i < n; i++)
            {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
            s_sink.Value[8 * index] = x;
        }

        private static void Compute() =>
            Measure.ScalingRows("baseline.compute", "baseline.compute.throughput", "baseline.compute.scaling", "xorshift in registers", &Body, 1);
    }
}
