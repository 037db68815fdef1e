using System.Threading;
using Molt.Hal;
using Molt.Smp;

namespace Molt.Threading
{
    /// <summary>
    /// Deferred work run by one worker thread per CPU. Each item runs as its
    /// own operation (for quiescence); the worker leaves its operation while
    /// it waits, so an idle worker never holds a quiescent point back.
    /// Items live in a fixed ring per CPU: posting never allocates, and a
    /// full ring is reported (false) rather than grown.
    /// Post: anywhere, including interrupt handlers. Items: thread context,
    /// may block, must not assume which thread runs them.
    /// </summary>
    public static unsafe class WorkQueue
    {
        public const int Capacity = 256;

        private struct Item { public ulong Function; public nint Argument; }

        private sealed class Ring
        {
            public SpinLock Lock;
            public Item[] Items = new Item[Capacity];
            public int Head, Count;
            public Semaphore Ready = new Semaphore(0);
            public long Done;
        }

        private static Ring[] s_rings;
        private static int s_next;

        public static bool Started => s_rings != null;

        /// <summary>Starts one worker per online CPU. Called once by the boot CPU.</summary>
        public static void Start()
        {
            int n = Processors.Count;
            var rings = new Ring[n];
            for (int i = 0; i < n; i++) rings[i] = new Ring();
            s_rings = rings;
            for (int i = 0; i < n; i++) Scheduler.Spawn(&Worker, i, "worker", i);
        }

        /// <summary>Queues <paramref name="function"/>(<paramref name="argument"/>) on CPU <paramref name="cpu"/> (-1: CPUs in turn). False if that CPU's ring is full.</summary>
        public static bool Post(delegate*<nint, void> function, nint argument, int cpu = -1)
        {
            Ring[] rings = s_rings;
            if (rings == null) return false;
            if (cpu < 0 || cpu >= rings.Length) cpu = (int)((uint)Interlocked.Increment(ref s_next) % (uint)rings.Length);
            Ring r = rings[cpu];
            bool irq = r.Lock.Acquire();
            if (r.Count == Capacity) { r.Lock.Release(irq); return false; }
            int at = (r.Head + r.Count) % Capacity;
            r.Items[at].Function = (ulong)function;
            r.Items[at].Argument = argument;
            r.Count++;
            r.Lock.Release(irq);
            r.Ready.Release();
            return true;
        }

        /// <summary>Items run so far on CPU <paramref name="cpu"/>.</summary>
        public static long Completed(int cpu) => Volatile.Read(in s_rings[cpu].Done);

        private static void Worker(nint cpu)
        {
            Ring r = s_rings[(int)cpu];
            int depth = Operations.Pause(); // waiting is not an operation
            while (true)
            {
                r.Ready.Wait();
                bool irq = r.Lock.Acquire();
                Item item = r.Items[r.Head];
                r.Head = (r.Head + 1) % Capacity;
                r.Count--;
                r.Lock.Release(irq);
                Operations.Resume(depth == 0 ? 1 : depth);
                ((delegate*<nint, void>)item.Function)(item.Argument);
                depth = Operations.Pause();
                Interlocked.Increment(ref r.Done);
            }
        }
    }
}
