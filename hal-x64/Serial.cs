using Molt.Arch.X64;

namespace Molt.Hal
{
    /// <summary>COM1 (16550 UART at 0x3F8), 115200 8N1, polled.</summary>
    public static partial class DebugConsole
    {
        private const ushort Com1 = 0x3F8;
        private const int SpinLimit = 100000;

        public static partial void Initialize()
        {
            PortIo.Out8(Com1 + 1, 0x00); // no interrupts
            PortIo.Out8(Com1 + 3, 0x80); // DLAB
            PortIo.Out8(Com1 + 0, 0x01); // divisor 1: 115200 baud
            PortIo.Out8(Com1 + 1, 0x00);
            PortIo.Out8(Com1 + 3, 0x03); // 8N1
            PortIo.Out8(Com1 + 2, 0xC7); // FIFO on, cleared
            PortIo.Out8(Com1 + 4, 0x03); // DTR, RTS
        }

        public static partial void WriteByte(byte value)
        {
            // Bounded wait: a missing UART must not hang the kernel.
            for (int i = 0; i < SpinLimit && (PortIo.In8(Com1 + 5) & 0x20) == 0; i++) { }
            PortIo.Out8(Com1, value);
        }
    }

    /// <summary>QEMU's isa-debug-exit device at port 0xF4: writing v exits with status (v &lt;&lt; 1) | 1.</summary>
    public static partial class Emulator
    {
        public static partial void Exit(int status) => PortIo.Out32(0xF4, (uint)status);
    }
}
