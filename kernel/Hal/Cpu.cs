namespace Molt.Hal
{
    /// <summary>
    /// The processor contract each arch implements (hal-x64/Cpu.cs,
    /// hal-arm64/Cpu.cs). These are partial methods: an arch that leaves one
    /// out does not compile, and calls cost nothing more than a direct call.
    /// </summary>
    public static unsafe partial class Cpu
    {
        /// <summary>Stops this CPU for good, with interrupts off.</summary>
        public static partial void HaltForever();

        /// <summary>Waits for the next interrupt (hlt / wfi).</summary>
        public static partial void WaitForInterrupt();

        public static partial void DisableInterrupts();

        /// <summary>Enables interrupts and waits for one, atomically (sti; hlt): a wake-up between the two cannot be missed.</summary>
        public static partial void EnableInterruptsAndWait();
        public static partial void EnableInterrupts();
        public static partial bool InterruptsEnabled();

        /// <summary>A free-running cycle counter (TSC / CNTVCT).</summary>
        public static partial ulong ReadTimestamp();

        /// <summary>This arch's ELF machine number (62 x86-64, 183 AArch64): what patch objects and bundles are checked against.</summary>
        public static partial ushort ElfMachine();

        /// <summary>The frame pointer of the caller, for backtraces.</summary>
        public static partial nint ReadFramePointer();

        /// <summary>A spin-wait hint (pause / yield).</summary>
        public static partial void Relax();

        /// <summary>The architecture's name as shown in logs and /status: "x86_64" or "aarch64".</summary>
        public static partial string ArchName();
    }

    /// <summary>The early serial console: COM1 on x86-64, the PL011 on AArch64.</summary>
    public static partial class DebugConsole
    {
        public static partial void Initialize();
        public static partial void WriteByte(byte value);
    }

    /// <summary>Leaving the emulator with a status, for tests.</summary>
    public static partial class Emulator
    {
        /// <summary>Exits QEMU with a status the runner decodes: 0 means pass. Returns only when no exit device exists.</summary>
        public static partial void Exit(int status);
    }

    /// <summary>Timer facts the kernel clock needs.</summary>
    public static partial class Timestamp
    {
        /// <summary>Measures or reads the frequency of <see cref="Cpu.ReadTimestamp"/> in Hz.</summary>
        public static partial ulong MeasureFrequency();
    }
}
