using Molt.Arch.Arm64;

namespace Molt.Hal
{
    /// <summary>
    /// The PL011 UART, polled, 8N1 with FIFOs. QEMU virt puts it at
    /// 0x09000000; the device tree's "arm,pl011" node, or without a device
    /// tree ACPI's SPCR, overrides that once it has been read (<see cref="Relocate"/>). The registers are reached
    /// through the direct map (Device-nGnRE), set by <see cref="Relocate"/>
    /// as well; until then the boot stub's early direct map at the same
    /// offset covers them.
    /// </summary>
    public static partial class DebugConsole
    {
        public const ulong DefaultPhysical = 0x09000000;
        private const ulong DR = 0x00, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCRH = 0x2C, CR = 0x30, IMSC = 0x38, ICR = 0x44;
        private const uint FR_TXFF = 1 << 5;
        private const int SpinLimit = 100000;

        private static ulong s_physical = DefaultPhysical;
        private static ulong s_base = DirectBoot.EarlyDirectMap + DefaultPhysical;

        public static ulong Physical => s_physical;

        public static partial void Initialize()
        {
            Mmio.Write32(s_base + CR, 0);           // disable while configuring
            Mmio.Write32(s_base + IMSC, 0);         // no interrupts
            Mmio.Write32(s_base + ICR, 0x7FF);      // clear pending ones
            // 115200 baud from the 24 MHz clock QEMU models: 24e6 / (16 * 115200) = 13.02.
            Mmio.Write32(s_base + IBRD, 13);
            Mmio.Write32(s_base + FBRD, 1);
            Mmio.Write32(s_base + LCRH, (3 << 5) | (1 << 4)); // 8 bits, FIFOs on
            Mmio.Write32(s_base + CR, (1 << 0) | (1 << 8) | (1 << 9)); // UARTEN, TXE, RXE
        }

        /// <summary>
        /// Moves the console to the UART the device tree or ACPI's SPCR names,
        /// at <paramref name="directMapOffset"/> + its address. A UART that
        /// moved is programmed afresh unless <paramref name="program"/> is
        /// false: an SBSA generic UART has only the data, flag and interrupt
        /// registers, set up by the firmware.
        /// </summary>
        internal static void Relocate(ulong physical, ulong directMapOffset, bool program = true)
        {
            bool moved = physical != s_physical;
            s_physical = physical;
            s_base = directMapOffset + physical;
            if (moved && program) Initialize();
        }

        public static partial void WriteByte(byte value)
        {
            // Bounded wait: a missing UART must not hang the kernel.
            for (int i = 0; i < SpinLimit && (Mmio.Read32(s_base + FR) & FR_TXFF) != 0; i++) { }
            Mmio.Write32(s_base + DR, value);
        }
    }

    /// <summary>
    /// Semihosting SYS_EXIT (QEMU -semihosting): the status reaches QEMU's
    /// exit code unchanged. Without -semihosting the call traps as an
    /// undefined instruction, which the exception handler skips, and this
    /// returns, as the contract asks. PSCI SYSTEM_OFF is not used: it always
    /// exits 0 and would turn failures into passes.
    /// </summary>
    public static unsafe partial class Emulator
    {
        private const ulong SysExit = 0x18;
        private const ulong ApplicationExit = 0x20026;

        public static partial void Exit(int status)
        {
            ulong* block = stackalloc ulong[2];
            block[0] = ApplicationExit;
            block[1] = (ulong)(uint)status;
            Native.SemihostingCall(SysExit, block);
        }
    }
}
