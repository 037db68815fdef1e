using Molt.Hal;
using Molt.Memory;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The local APIC of the running CPU: x2APIC (MSRs) when CPUID offers it,
    /// else xAPIC (MMIO at the MADT's address, mapped as device memory).
    /// Used for end-of-interrupt, IPIs and the per-CPU timer.
    /// </summary>
    internal static unsafe class LocalApic
    {
        public const int TimerVector = 0x20;
        public const int SpuriousVector = 0xFF;
        private const uint ApicBaseMsr = 0x1B;
        private const int RegId = 0x20, RegTpr = 0x80, RegEoi = 0xB0, RegSvr = 0xF0, RegIcrLow = 0x300, RegIcrHigh = 0x310;
        private const int RegLvtTimer = 0x320, RegInitialCount = 0x380, RegCurrentCount = 0x390, RegDivide = 0x3E0;

        private static bool s_x2;
        private static uint* s_mmio;
        public static bool X2Apic => s_x2;

        /// <summary>Enables the APIC on this CPU; the first call also chooses the mode and maps the registers.</summary>
        public static void InitializeThisCpu()
        {
            if (s_mmio == null && !s_x2)
            {
                s_x2 = CpuId.HasX2Apic;
                if (!s_x2) s_mmio = (uint*)KernelAddressSpace.MapPhysical(Machine.Apics->LocalApicAddress, 4096, PageAccess.Read | PageAccess.Write | PageAccess.Device);
            }
            ulong bas = Native.ReadMsr(ApicBaseMsr);
            bas |= 1UL << 11;
            if (s_x2) bas |= 1UL << 10;
            Native.WriteMsr(ApicBaseMsr, bas);
            Write(RegTpr, 0);
            Write(RegSvr, 0x100 | SpuriousVector);
        }

        private static uint Read(int reg) => s_x2 ? (uint)Native.ReadMsr(0x800u + (uint)(reg >> 4)) : s_mmio[reg / 4];

        private static void Write(int reg, uint value)
        {
            if (s_x2) Native.WriteMsr(0x800u + (uint)(reg >> 4), value);
            else s_mmio[reg / 4] = value;
        }

        public static uint Id => s_x2 ? Read(RegId) : Read(RegId) >> 24;

        public static void EndOfInterrupt() => Write(RegEoi, 0);

        /// <summary>Sends an IPI; <paramref name="command"/> holds the ICR low bits (vector, delivery mode, level).</summary>
        public static void SendCommand(uint apicId, uint command)
        {
            if (s_x2)
            {
                Native.WriteMsr(0x830, ((ulong)apicId << 32) | command);
                return;
            }
            // The two ICR writes must not be split by an interrupt handler sending its own IPI.
            bool irq = (Native.ReadFlags() & (1 << 9)) != 0;
            Native.Cli();
            Write(RegIcrHigh, apicId << 24);
            Write(RegIcrLow, command);
            for (int i = 0; i < 1_000_000 && (Read(RegIcrLow) & (1u << 12)) != 0; i++) Native.Pause();
            if (irq) Native.Sti();
        }

        /// <summary>A fixed interrupt to this CPU only (ICR destination shorthand "self").</summary>
        public static void SendSelf(int vector)
        {
            if (s_x2) Native.WriteMsr(0x83F, (uint)vector); // x2APIC SELF IPI register
            else SendCommand(0, (uint)vector | (1u << 14) | (1u << 18));
        }

        public static void SendIpi(uint apicId, int vector) => SendCommand(apicId, (uint)vector | (1u << 14));
        public static void SendInit(uint apicId) => SendCommand(apicId, 0x4500);
        public static void SendStartup(uint apicId, ulong trampolinePhysical) => SendCommand(apicId, 0x4600 | (uint)(trampolinePhysical >> 12));

        /// <summary>Counts the APIC timer's rate (divide by 16) against the TSC over ~2 ms; returns ticks per second.</summary>
        public static ulong MeasureTimerHz(ulong tscHz)
        {
            Write(RegDivide, 0x3);                 // divide by 16
            Write(RegLvtTimer, 1u << 16);          // masked, one-shot
            Write(RegInitialCount, 0xFFFFFFFF);
            ulong start = Native.Rdtsc();
            ulong window = tscHz / 500;
            while (Native.Rdtsc() - start < window) Native.Pause();
            uint elapsed = 0xFFFFFFFF - Read(RegCurrentCount);
            Write(RegInitialCount, 0);
            return (ulong)elapsed * 500;
        }

        /// <summary>Starts the periodic tick on this CPU at <paramref name="hz"/>, given the timer rate.</summary>
        public static void StartPeriodic(ulong timerHz, uint hz)
        {
            ulong count = timerHz / hz;
            if (count == 0) count = 1;
            Write(RegDivide, 0x3);
            Write(RegLvtTimer, TimerVector | (1u << 17)); // periodic
            Write(RegInitialCount, (uint)count);
        }

        public static void StopTimer() => Write(RegInitialCount, 0);
    }

    /// <summary>The legacy 8259 PICs: remapped to vectors 0x20-0x2F (away from CPU exceptions) and fully masked; the APICs take over.</summary>
    internal static class LegacyPic
    {
        public static void Disable()
        {
            PortIo.Out8(0x20, 0x11); PortIo.Out8(0xA0, 0x11);
            PortIo.Out8(0x21, 0x20); PortIo.Out8(0xA1, 0x28);
            PortIo.Out8(0x21, 0x04); PortIo.Out8(0xA1, 0x02);
            PortIo.Out8(0x21, 0x01); PortIo.Out8(0xA1, 0x01);
            PortIo.Out8(0x21, 0xFF); PortIo.Out8(0xA1, 0xFF);
        }
    }
}
