using Molt.Arch.X64;

namespace Molt.Hal
{
    /// <summary>
    /// TSC frequency, measured against PIT channel 2 (1.193182 MHz) over a
    /// 10 ms one-shot: the PIT exists on every PC and under QEMU, and needs
    /// no ACPI table. The gate is driven through port 0x61.
    /// </summary>
    public static partial class Timestamp
    {
        private const uint PitHz = 1193182;
        private const uint WindowMs = 10;

        public static partial ulong MeasureFrequency()
        {
            uint count = PitHz * WindowMs / 1000;
            byte gate = PortIo.In8(0x61);
            PortIo.Out8(0x61, (byte)((gate & 0xFD) | 0x01)); // gate on, speaker off
            PortIo.Out8(0x43, 0xB0);                         // channel 2, lo/hi, mode 0
            PortIo.Out8(0x42, (byte)count);
            PortIo.Out8(0x42, (byte)(count >> 8));
            // Restart the count by toggling the gate.
            gate = PortIo.In8(0x61);
            PortIo.Out8(0x61, (byte)(gate & 0xFE));
            PortIo.Out8(0x61, (byte)(gate | 0x01));
            ulong start = Native.Rdtsc();
            ulong spins = 0;
            while ((PortIo.In8(0x61) & 0x20) == 0 && spins < 100_000_000) spins++;
            ulong end = Native.Rdtsc();
            if (spins >= 100_000_000 || end <= start) return 1_000_000_000; // no PIT: assume 1 GHz
            return (end - start) * 1000 / WindowMs;
        }
    }
}
