using System.Runtime.InteropServices;
using Molt.Arch.X64;

namespace Molt.Hal
{
    /// <summary>x86-64: plain moves to uncached device memory (device-access.S).</summary>
    public static unsafe partial class DeviceAccess
    {
        [DllImport("*", EntryPoint = "molt_dev_read8"), SuppressGCTransition] private static extern byte R8(ulong a);
        [DllImport("*", EntryPoint = "molt_dev_read16"), SuppressGCTransition] private static extern ushort R16(ulong a);
        [DllImport("*", EntryPoint = "molt_dev_read32"), SuppressGCTransition] private static extern uint R32(ulong a);
        [DllImport("*", EntryPoint = "molt_dev_read64"), SuppressGCTransition] private static extern ulong R64(ulong a);
        [DllImport("*", EntryPoint = "molt_dev_write8"), SuppressGCTransition] private static extern void W8(ulong a, byte v);
        [DllImport("*", EntryPoint = "molt_dev_write16"), SuppressGCTransition] private static extern void W16(ulong a, ushort v);
        [DllImport("*", EntryPoint = "molt_dev_write32"), SuppressGCTransition] private static extern void W32(ulong a, uint v);
        [DllImport("*", EntryPoint = "molt_dev_write64"), SuppressGCTransition] private static extern void W64(ulong a, ulong v);
        [DllImport("*", EntryPoint = "molt_dma_barrier"), SuppressGCTransition] private static extern void Fence();

        public static partial byte Read8(ulong address) => R8(address);
        public static partial ushort Read16(ulong address) => R16(address);
        public static partial uint Read32(ulong address) => R32(address);
        public static partial ulong Read64(ulong address) => R64(address);
        public static partial void Write8(ulong address, byte value) => W8(address, value);
        public static partial void Write16(ulong address, ushort value) => W16(address, value);
        public static partial void Write32(ulong address, uint value) => W32(address, value);
        public static partial void Write64(ulong address, ulong value) => W64(address, value);
        public static partial void DmaBarrier() => Fence();
    }

    /// <summary>
    /// x86-64: MSI messages aimed at a local APIC (address 0xFEE00000 with the
    /// destination APIC id in bits 12-19, physical mode; data = the vector,
    /// fixed delivery, edge). Wired PCI lines are not offered.
    /// </summary>
    public static unsafe partial class DeviceInterrupts
    {
        public static partial bool ComposeMsi(int vector, int cpuIndex, out ulong address, out uint data)
        {
            uint apicId = Machine.ApicId(cpuIndex);
            address = 0xFEE00000UL | ((ulong)(apicId & 0xFF) << 12);
            data = (uint)vector & 0xFF;
            return apicId < 256 && vector >= 0x30 && vector < 0xF0;
        }

        public static partial int RouteWired(uint line, bool levelTriggered, int cpuIndex) => -1;

        public static partial void DisableWired(uint line) { }

        // Below the IPI vectors (0xF1-0xF3) and the spurious vector; the first 16 device vectors stay for tests.
        public static partial void MsiVectorRange(out int first, out int end) { first = 0x40; end = 0xF0; }
    }
}
