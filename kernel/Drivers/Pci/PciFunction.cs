using Molt.Hal;

namespace Molt.Drivers.Pci
{
    /// <summary>
    /// One PCI function found by <see cref="PciBus.Scan"/>: its identity,
    /// its decoded BARs and its configuration space (through ECAM, mapped as
    /// device memory). Allocated once per function at scan time and kept by
    /// the <see cref="PciBus"/> registry for the kernel's life (never freed).
    /// </summary>
    public sealed unsafe class PciFunction
    {
        public const int MaxBars = 6;
        public const ushort CommandIo = 1 << 0, CommandMemory = 1 << 1, CommandBusMaster = 1 << 2, CommandIntxDisable = 1 << 10;
        public const byte CapMsi = 0x05, CapVendor = 0x09, CapPciExpress = 0x10, CapMsiX = 0x11;

        public byte Bus, Device, Function;
        public ushort VendorId, DeviceId;
        public byte ClassCode, Subclass, ProgIf, Revision, HeaderType;
        public ushort SubsystemVendorId, SubsystemId;
        /// <summary>INTx pin: 0 none, 1 INTA .. 4 INTD.</summary>
        public byte InterruptPin;
        /// <summary>Virtual address of the function's 4 KiB configuration space.</summary>
        public ulong ConfigBase;

        private struct Bars
        {
            public fixed ulong Bus[MaxBars];
            public fixed ulong Cpu[MaxBars];
            public fixed ulong Size[MaxBars];
            public fixed byte Kind[MaxBars];
            public fixed byte Prefetchable[MaxBars];
        }
        private Bars _bars;

        public byte Read8(int offset) => DeviceAccess.Read8(ConfigBase + (ulong)offset);
        public ushort Read16(int offset) => DeviceAccess.Read16(ConfigBase + (ulong)offset);
        public uint Read32(int offset) => DeviceAccess.Read32(ConfigBase + (ulong)offset);
        public void Write8(int offset, byte value) => DeviceAccess.Write8(ConfigBase + (ulong)offset, value);
        public void Write16(int offset, ushort value) => DeviceAccess.Write16(ConfigBase + (ulong)offset, value);
        public void Write32(int offset, uint value) => DeviceAccess.Write32(ConfigBase + (ulong)offset, value);

        public ushort Command { get => Read16(0x04); set => Write16(0x04, value); }
        public ushort Status => Read16(0x06);
        public bool IsBridge => (HeaderType & 0x7F) == 1;
        public int BarCount => (HeaderType & 0x7F) == 0 ? 6 : (HeaderType & 0x7F) == 1 ? 2 : 0;

        public PciBarKind BarKind(int i) => (uint)i < MaxBars ? (PciBarKind)_bars.Kind[i] : PciBarKind.None;
        /// <summary>The BAR's address as the bus sees it (what the register holds).</summary>
        public ulong BarBusAddress(int i) => (uint)i < MaxBars ? _bars.Bus[i] : 0;
        /// <summary>The BAR's address as the CPU sees it (through the host bridge's window); 0 when unassigned.</summary>
        public ulong BarAddress(int i) => (uint)i < MaxBars ? _bars.Cpu[i] : 0;
        public ulong BarSize(int i) => (uint)i < MaxBars ? _bars.Size[i] : 0;
        public bool BarPrefetchable(int i) => (uint)i < MaxBars && _bars.Prefetchable[i] != 0;

        internal void SetBar(int i, PciBarKind kind, ulong bus, ulong cpu, ulong size, bool prefetchable)
        {
            _bars.Kind[i] = (byte)kind;
            _bars.Bus[i] = bus;
            _bars.Cpu[i] = cpu;
            _bars.Size[i] = size;
            _bars.Prefetchable[i] = prefetchable ? (byte)1 : (byte)0;
        }

        /// <summary>Turns on memory decoding and bus mastering (DMA), which drivers need before touching BARs or rings.</summary>
        public void EnableMemoryAndBusMaster() => Command = (ushort)(Command | CommandMemory | CommandBusMaster);

        /// <summary>Stops the function from raising INTx (for MSI-X users), or lets it again.</summary>
        public void SetIntxDisabled(bool disabled)
            => Command = disabled ? (ushort)(Command | CommandIntxDisable) : (ushort)(Command & ~CommandIntxDisable);

        /// <summary>
        /// The next capability after the one at <paramref name="previous"/> (0:
        /// the first), or 0. The walk is bounded (48 steps: the 192 bytes of
        /// the capability area hold at most that many) and every pointer must
        /// be at or above 0x40 and 4-byte aligned, so a looping or wild list ends.
        /// </summary>
        public int NextCapability(int previous, ref int steps)
        {
            if (previous == 0)
            {
                if ((Status & (1 << 4)) == 0) return 0;
                steps = 0;
                return Checked(Read8(0x34), ref steps);
            }
            return Checked(Read8(previous + 1), ref steps);
        }

        private static int Checked(byte pointer, ref int steps)
        {
            int at = pointer & 0xFC;
            if (at < 0x40 || ++steps > 48) return 0;
            return at;
        }

        /// <summary>The first capability with <paramref name="id"/> after <paramref name="after"/> (0: from the start), or 0.</summary>
        public int FindCapability(byte id, int after = 0)
        {
            int steps = 0;
            int at = 0;
            if (after != 0)
            {
                // Re-walk to reach 'after' so the step bound stays honest.
                do { at = NextCapability(at, ref steps); } while (at != 0 && at != after);
                if (at == 0) return 0;
            }
            while ((at = NextCapability(at, ref steps)) != 0)
                if (Read8(at) == id) return at;
            return 0;
        }

        /// <summary>A short name for the log: the virtio device type, else the class.</summary>
        public string Name => PciNames.Describe(VendorId, DeviceId, ClassCode, Subclass);
    }
}
