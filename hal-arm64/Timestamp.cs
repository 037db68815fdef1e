using Molt.Arch.Arm64;

namespace Molt.Hal
{
    /// <summary>
    /// The generic timer's virtual count (CNTVCT_EL0) runs at CNTFRQ_EL0,
    /// which firmware (or QEMU: 62.5 MHz) programs; nothing to measure.
    /// </summary>
    public static partial class Timestamp
    {
        public static partial ulong MeasureFrequency()
        {
            ulong hz = Native.ReadCntfrq() & 0xFFFFFFFF;
            return hz != 0 ? hz : 62_500_000; // unset by firmware: QEMU's default
        }
    }
}
