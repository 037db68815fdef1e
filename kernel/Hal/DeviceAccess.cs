namespace Molt.Hal
{
    /// <summary>
    /// Device registers for arch-neutral drivers (PCI configuration space,
    /// virtio): each access is exactly one load or store of its width, made
    /// by a one-instruction assembly helper (hal-*/device-access.S, or the
    /// arm64 MMIO helpers in cpu.S), so the compiler can neither merge,
    /// split, reorder across it nor hoist it out of a polling loop.
    /// Addresses are virtual: a mapping made with
    /// <see cref="Memory.KernelAddressSpace.MapPhysical"/> and <see cref="PageAccess.Device"/>.
    /// </summary>
    public static unsafe partial class DeviceAccess
    {
        public static partial byte Read8(ulong address);
        public static partial ushort Read16(ulong address);
        public static partial uint Read32(ulong address);
        public static partial ulong Read64(ulong address);
        public static partial void Write8(ulong address, byte value);
        public static partial void Write16(ulong address, ushort value);
        public static partial void Write32(ulong address, uint value);
        public static partial void Write64(ulong address, ulong value);

        /// <summary>
        /// Orders this CPU's earlier memory accesses (rings in RAM) before its
        /// later ones, device registers included, as a bus-mastering device
        /// observes them (x86-64: mfence; AArch64: dmb sy).
        /// </summary>
        public static partial void DmaBarrier();
    }

    /// <summary>
    /// Delivering a device's interrupt to a CPU: the arch half of PCI
    /// interrupts. x86-64 offers message-signalled interrupts (the local
    /// APIC's address window) and no wired PCI lines (those need the DSDT's
    /// _PRT, which Molt does not interpret); AArch64 offers wired lines
    /// (GIC SPIs, from the device tree's interrupt-map) and no MSI yet
    /// (GICv2m / ITS are not driven). A driver asks for MSI first, then a
    /// wired line.
    /// </summary>
    public static unsafe partial class DeviceInterrupts
    {
        /// <summary>
        /// The message (address, data) a device writes to raise interrupt
        /// <paramref name="vector"/> on CPU <paramref name="cpuIndex"/>
        /// (fixed delivery, edge). False when the arch has no MSI path.
        /// </summary>
        public static partial bool ComposeMsi(int vector, int cpuIndex, out ulong address, out uint data);

        /// <summary>
        /// Routes wired interrupt <paramref name="line"/> (AArch64: a GIC INTID,
        /// 32 and up) to CPU <paramref name="cpuIndex"/>, level- or
        /// edge-triggered, and enables it. Returns the vector its handler
        /// registers on (the INTID on AArch64), or -1 when the arch cannot.
        /// </summary>
        public static partial int RouteWired(uint line, bool levelTriggered, int cpuIndex);

        /// <summary>Masks a line <see cref="RouteWired"/> enabled.</summary>
        public static partial void DisableWired(uint line);

        /// <summary>The vectors a driver may take for MSI: [first, end). Empty when there is no MSI.</summary>
        public static partial void MsiVectorRange(out int first, out int end);
    }
}
