using System.Runtime.InteropServices;
using Molt.Arch.Arm64;

namespace Molt.Hal
{
    /// <summary>AArch64: single loads and stores to Device-nGnRE memory (cpu.S, device-access.S).</summary>
    public static unsafe partial class DeviceAccess
    {
        [DllImport("*", EntryPoint = "molt_dev_read16"), SuppressGCTransition] private static extern ushort R16(ulong a);
        [DllImport("*", EntryPoint = "molt_dev_write16"), SuppressGCTransition] private static extern void W16(ulong a, ushort v);
        [DllImport("*", EntryPoint = "molt_dma_barrier"), SuppressGCTransition] private static extern void Fence();

        public static partial byte Read8(ulong address) => Mmio.Read8(address);
        public static partial ushort Read16(ulong address) => R16(address);
        public static partial uint Read32(ulong address) => Mmio.Read32(address);
        public static partial ulong Read64(ulong address) => Mmio.Read64(address);
        public static partial void Write8(ulong address, byte value) => Mmio.Write8(address, value);
        public static partial void Write16(ulong address, ushort value) => W16(address, value);
        public static partial void Write32(ulong address, uint value) => Mmio.Write32(address, value);
        public static partial void Write64(ulong address, ulong value) => Mmio.Write64(address, value);
        public static partial void DmaBarrier() => Fence();
    }

    /// <summary>
    /// AArch64: wired interrupts are GIC SPIs, configured level or edge,
    /// routed to one CPU and enabled; the vector is the INTID. MSI through
    /// GICv2m or the ITS is not offered yet.
    /// </summary>
    public static unsafe partial class DeviceInterrupts
    {
        public static partial bool ComposeMsi(int vector, int cpuIndex, out ulong address, out uint data)
        {
            address = 0; data = 0;
            return false;
        }

        public static partial int RouteWired(uint line, bool levelTriggered, int cpuIndex)
        {
            if (line < 32 || line >= (uint)Gic.Lines) return -1;
            Gic.ConfigureTrigger((int)line, levelTriggered);
            Gic.Enable((int)line, cpuIndex);
            return (int)line;
        }

        public static partial void DisableWired(uint line)
        {
            if (line >= 32 && line < (uint)Gic.Lines) Gic.Disable((int)line);
        }

        public static partial void MsiVectorRange(out int first, out int end) { first = 0; end = 0; }
    }
}
