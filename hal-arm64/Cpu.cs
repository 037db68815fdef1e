using Molt.Arch.Arm64;

namespace Molt.Hal
{
    public static unsafe partial class Cpu
    {
        public static partial void HaltForever() => Native.HaltForever();
        public static partial void WaitForInterrupt() => Native.Wfi();
        public static partial void DisableInterrupts() => Native.MaskIrq();
        public static partial void EnableInterrupts() => Native.UnmaskIrq();
        /// <summary>wfi with IRQs still masked, then unmask: WFI wakes on a pending IRQ whatever PSTATE.I says, so nothing is missed (cpu.S).</summary>
        public static partial void EnableInterruptsAndWait() => Native.WfiThenUnmask();
        public static partial bool InterruptsEnabled() => (Native.ReadDaif() & (1 << 7)) == 0;
        public static partial ulong ReadTimestamp() => Native.ReadCntvct();
        public static partial ushort ElfMachine() => 183;
        public static partial nint ReadFramePointer() => Native.ReadFramePointer();
        public static partial void Relax() => Native.Yield();
        public static partial string ArchName() => "aarch64";
    }
}
