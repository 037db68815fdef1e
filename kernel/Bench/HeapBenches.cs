using System.Threading;
using Molt.Console;
using Molt.Memory;

namespace Molt.Bench
{
    /// <summary>
    /// Small-block allocation and free through the per-CPU magazines.
    /// One iteration allocates <see cref="Batch"/> blocks of 16, 32, 64, 128
    /// and 256 bytes in turn (two of each), then frees them in the same order:
    /// ten allocate+free pairs, one operation each. The loop runs on 1, 2 and
    /// 4 CPUs at once (see <see cref="Measure.ScalingRows"/>):
    /// <c>heap.alloc_free</c> is ns per pair as each CPU sees it (flat across
    /// CPU counts when it scales), <c>.throughput</c> pairs per second over all
    /// CPUs, <c>.scaling</c> that throughput over one CPU's (ideal: the CPU count).
    /// </summary>
    internal static unsafe class HeapBenches
    {
        public static void Register()
        {
            BenchRunner.Add("heap.alloc_free", &AllocFree);
        }

        private const int Batch = 10;
        private static long s_failures;

        private static void Body(int index, long n)
        {
            void** blocks = stackalloc void*[Batch];
            for (long r = 0; r < n; r++)
            {
                for (int i = 0; i < Batch; i++)
                {
                    blocks[i] = Heap.Allocate((uint)(16 << (i % 5)));
                    if (blocks[i] == null) Diagnostics.Panic.Fail("bench: heap exhausted");
                }
                for (int i = 0; i < Batch; i++)
                    if (Heap.Free(blocks[i]) != Heap.FreeResult.Freed) Interlocked.Increment(ref s_failures);
            }
        }

        private static void AllocFree()
        {
            long before = Heap.BytesInUse;
            ulong lockBefore = Heap.SlabLockContention;
            s_failures = 0;
            Measure.ScalingRows("heap.alloc_free", "heap.alloc_free.throughput", "heap.alloc_free.scaling", "16-256 B, pinned", &Body, Batch);
            if (s_failures != 0) Log.Warn("bench", $"heap.alloc_free: {s_failures} frees were refused");
            long after = Heap.BytesInUse;
            if (after != before) Log.Warn("bench", $"heap.alloc_free: bytes in use went from {before} to {after}");
            Log.Info("bench", $"heap.alloc_free: slab lock found held {Heap.SlabLockContention - lockBefore} times");
        }
    }
}
