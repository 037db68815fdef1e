using Molt.Hal;

namespace Molt.Time
{
    /// <summary>
    /// Monotonic time since boot, from the CPU's timestamp counter. The
    /// frequency is measured once by the HAL (see <see cref="Timestamp"/>);
    /// before that, time reads as zero.
    /// </summary>
    public static class Clock
    {
        private static ulong s_bootTimestamp;
        private static ulong s_frequency;

        /// <summary>The timestamp counter read at kernel entry, recorded by the boot stub.</summary>
        public static ulong BootTimestamp => s_bootTimestamp;
        public static ulong FrequencyHz => s_frequency;

        public static void Start(ulong bootTimestamp, ulong frequencyHz)
        {
            s_bootTimestamp = bootTimestamp;
            s_frequency = frequencyHz;
        }

        public static ulong NanosecondsSinceBoot() => TicksToNanoseconds(Cpu.ReadTimestamp() - s_bootTimestamp);

        public static ulong TicksToNanoseconds(ulong ticks)
        {
            if (s_frequency == 0) return 0;
            // Split to avoid overflow: whole seconds, then the remainder.
            ulong seconds = ticks / s_frequency;
            ulong rest = ticks % s_frequency;
            return seconds * 1_000_000_000UL + rest * 1_000_000_000UL / s_frequency;
        }
    }
}
