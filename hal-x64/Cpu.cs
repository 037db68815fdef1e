using Molt.Arch.X64;

namespace Molt.Hal
{
    public static unsafe partial class Cpu
    {
        public static partial void HaltForever() => Native.HaltForever();
        public static partial void WaitForInterrupt() => Native.Hlt();
        public static partial void DisableInterrupts() => Native.Cli();
        public static partial void EnableInterruptsAndWait() => Native.StiHlt();
        public static partial void EnableInterrupts() => Native.Sti();
        public static partial bool InterruptsEnabled() => (Native.ReadFlags() & (1 << 9)) != 0;
        public static partial ulong ReadTimestamp() => Native.Rdtsc();
        public static partial ushort ElfMachine() => 62;
        public static partial nint ReadFramePointer() => Native.ReadFramePointer();
        public static partial void Relax() => Native.Pause();
        public static partial string ArchName() => "x86_64";
    }
}
