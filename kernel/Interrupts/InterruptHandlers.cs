using Molt.Hal;
using Molt.Smp;

namespace Molt.Interrupts
{
    /// <summary>
    /// The interrupt-handler registration API. A handler is a static function
    /// taking the vector; it runs with interrupts off on the CPU that took the
    /// interrupt, must not block, and must not allocate. The arch layer calls
    /// <see cref="Dispatch"/> for every device interrupt, IPI and timer tick,
    /// and signals end-of-interrupt afterwards.
    /// Registration is meant for start-up; replacing a handler while its
    /// interrupt can fire is safe (one pointer store), removing it is too.
    /// </summary>
    public static unsafe class InterruptHandlers
    {
        public const int VectorCount = 256;

        private struct Table { public fixed ulong Handlers[VectorCount]; public fixed ulong Counts[VectorCount]; }
        private static Table s_table;
        private static ulong s_spurious;
        private static ulong s_unhandled;

        public static ulong Spurious => s_spurious;
        public static ulong Unhandled => s_unhandled;
        public static ulong Count(int vector) => s_table.Counts[vector];

        /// <summary>Installs <paramref name="handler"/> for <paramref name="vector"/>; returns false if one is already there.</summary>
        public static bool Register(int vector, delegate*<int, void> handler)
        {
            if ((uint)vector >= VectorCount) return false;
            if (s_table.Handlers[vector] != 0) return false;
            s_table.Handlers[vector] = (ulong)handler;
            return true;
        }

        public static void Unregister(int vector)
        {
            if ((uint)vector < VectorCount) s_table.Handlers[vector] = 0;
        }

        /// <summary>Called by the arch layer; returns false when no handler took the vector.</summary>
        public static bool Dispatch(int vector)
        {
            PerCpu.Current()->InterruptsHandled++;
            s_table.Counts[vector]++;
            ulong h = s_table.Handlers[vector];
            if (h != 0) ((delegate*<int, void>)h)(vector);
            else s_unhandled++;
            return h != 0;
        }

        public static void CountSpurious() => s_spurious++;
    }
}
