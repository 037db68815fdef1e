using Molt.Acpi;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The I/O APICs from the MADT: device interrupts (GSIs) are routed to a
    /// vector on a chosen CPU. Every entry starts masked.
    /// </summary>
    internal static unsafe class IoApic
    {
        private const int RegVersion = 1;

        private struct Mapped { public fixed ulong Registers[ApicFacts.MaxIoApics]; public fixed uint Inputs[ApicFacts.MaxIoApics]; }
        private static Mapped s;

        private static uint* Regs(int i) => (uint*)s.Registers[i];

        private static uint Read(int i, uint reg) { Regs(i)[0] = reg; return Regs(i)[4]; }
        private static void Write(int i, uint reg, uint value) { Regs(i)[0] = reg; Regs(i)[4] = value; }

        public static void Initialize()
        {
            for (int i = 0; i < Machine.Apics->IoApicCount; i++)
            {
                s.Registers[i] = (ulong)KernelAddressSpace.MapPhysical(Machine.Apics->IoApicAddress(i), 4096, PageAccess.Read | PageAccess.Write | PageAccess.Device);
                if (s.Registers[i] == 0) continue;
                uint inputs = ((Read(i, RegVersion) >> 16) & 0xFF) + 1;
                s.Inputs[i] = inputs;
                for (uint pin = 0; pin < inputs; pin++) Write(i, 0x10 + pin * 2, 1u << 16);
            }
        }

        /// <summary>Routes <paramref name="gsi"/> to <paramref name="vector"/> on <paramref name="apicId"/>; false if no I/O APIC has that input.</summary>
        public static bool Route(uint gsi, int vector, uint apicId, bool activeLow, bool levelTriggered)
        {
            for (int i = 0; i < Machine.Apics->IoApicCount; i++)
            {
                uint bas = Machine.Apics->IoApicGsiBase(i);
                if (s.Registers[i] == 0 || gsi < bas || gsi >= bas + s.Inputs[i]) continue;
                uint pin = gsi - bas;
                uint low = (uint)vector | (activeLow ? 1u << 13 : 0) | (levelTriggered ? 1u << 15 : 0);
                Write(i, 0x11 + pin * 2, apicId << 24);
                Write(i, 0x10 + pin * 2, low);
                return true;
            }
            return false;
        }

        public static void Mask(uint gsi)
        {
            for (int i = 0; i < Machine.Apics->IoApicCount; i++)
            {
                uint bas = Machine.Apics->IoApicGsiBase(i);
                if (s.Registers[i] == 0 || gsi < bas || gsi >= bas + s.Inputs[i]) continue;
                uint reg = 0x10 + (gsi - bas) * 2;
                Write(i, reg, Read(i, reg) | (1u << 16));
            }
        }

        /// <summary>Routes a legacy ISA IRQ through the MADT's overrides (polarity and trigger from their flags).</summary>
        public static bool RouteIsa(byte irq, int vector, uint apicId)
        {
            ushort flags;
            uint gsi = Machine.Apics->IsaIrqToGsi(irq, out flags);
            bool activeLow = (flags & 3) == 3;
            bool level = ((flags >> 2) & 3) == 3;
            return Route(gsi, vector, apicId, activeLow, level);
        }
    }
}
