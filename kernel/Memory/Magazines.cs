using Molt.Hal;
using Molt.Smp;

namespace Molt.Memory
{
    /// <summary>
    /// Per-CPU caches of free heap blocks, one magazine per size class, kept
    /// in the second half of each CPU's CpuLocal page (so no cache line is
    /// shared). Take and Put run with interrupts off on the local CPU and
    /// take no lock; an empty magazine is refilled, and a full one drained,
    /// half a magazine at a time under the slab lock.
    /// Statistics are counted per CPU and summed when read.
    /// </summary>
    internal static unsafe class Magazines
    {
        public const int Capacity = 30;
        private const int Batch = Capacity / 2;
        private const int Offset = 1024; // CpuLocal uses less; 8 magazines of 264 bytes end before 4096

        private struct Magazine
        {
            public int Count;
            public int Pad;
            public long Allocations;
            public long Frees;
            public fixed ulong Blocks[Capacity];
        }

        private static Magazine* For(CpuLocal* cpu, int c) => (Magazine*)((byte*)cpu + Offset) + c;

        public static void* Take(int c)
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            Magazine* m = For(PerCpu.Current(), c);
            if (m->Count == 0) m->Count = Heap.RefillBatch(c, (void**)m->Blocks, Batch);
            void* block = null;
            if (m->Count > 0)
            {
                block = (void*)m->Blocks[--m->Count];
                m->Allocations++;
            }
            if (irq) Cpu.EnableInterrupts();
            return block;
        }

        public static void Put(int c, void* block)
        {
            bool irq = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            Magazine* m = For(PerCpu.Current(), c);
            if (m->Count == Capacity)
            {
                Heap.DrainBatch((void**)m->Blocks + (Capacity - Batch), Batch);
                m->Count -= Batch;
            }
            m->Blocks[m->Count++] = (ulong)block;
            m->Frees++;
            if (irq) Cpu.EnableInterrupts();
        }

        private static long Sum(int c, bool allocations)
        {
            long total = 0;
            for (int i = 0; i < Processors.Count; i++)
            {
                Magazine* m = For(Processors.Get(i), c);
                total += allocations ? m->Allocations : m->Frees;
            }
            return total;
        }

        public static long Allocations(int c) => Sum(c, true);
        public static long Frees(int c) => Sum(c, false);

        /// <summary>Bytes allocated minus freed through all magazines.</summary>
        public static long BytesInUseDelta()
        {
            long total = 0;
            for (int c = 0; c < Heap.ClassCount; c++)
                total += (Allocations(c) - Frees(c)) * Heap.BlockSize(c);
            return total;
        }

        /// <summary>Blocks sitting in CPU <paramref name="cpu"/>'s magazine of class <paramref name="c"/>.</summary>
        public static int Cached(int cpu, int c) => For(Processors.Get(cpu), c)->Count;
    }
}
