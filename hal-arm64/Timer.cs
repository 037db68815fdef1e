using Molt.Hal;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// The periodic tick from the EL1 virtual timer (CNTV), PPI 27 unless the
    /// device tree's "arm,armv8-timer" node (its third interrupt) or ACPI's
    /// GTDT (the virtual timer GSIV) says otherwise. The timer compares
    /// CNTVCT with CNTV_CVAL and holds its level-triggered line high while
    /// CNTVCT >= CVAL, so the handler moves CVAL forward by one period before
    /// it signals end-of-interrupt; a CPU that fell behind by more than a
    /// period skips ahead instead of firing a burst. Each CPU has its own CNTV.
    /// </summary>
    internal static unsafe class Timer
    {
        public const int DefaultIntId = 27;
        private const ulong Enable = 1;

        private static ulong s_period;
        private static int s_intid = DefaultIntId;

        public static int IntId => s_intid;
        public static ulong Period => s_period;

        /// <summary>Uses INTID <paramref name="intid"/> (ACPI's GTDT names it as a GSIV); false, keeping the default, unless it is a PPI.</summary>
        public static bool UseIntId(uint intid)
        {
            if (intid < 16 || intid > 31) return false;
            s_intid = (int)intid;
            return true;
        }

        public static void Configure(ulong counterHz, uint tickHz) => s_period = counterHz / tickHz;

        /// <summary>Starts this CPU's tick: the first one period from now.</summary>
        public static void StartThisCpu() => Native.SetVirtualTimer(Native.ReadCntvct() + s_period, Enable);

        /// <summary>In the tick's interrupt, before its end-of-interrupt: the next deadline, which also drops the line.</summary>
        public static void Rearm()
        {
            ulong now = Native.ReadCntvct();
            ulong next = Native.ReadVirtualTimerCompare() + s_period;
            if (next <= now) next = now + s_period;
            Native.SetVirtualTimer(next, Enable);
        }

        /// <summary>Masks this CPU's timer (an unexpected tick before the scheduler exists).</summary>
        public static void Stop() => Native.SetVirtualTimer(ulong.MaxValue, 0);
    }
}
