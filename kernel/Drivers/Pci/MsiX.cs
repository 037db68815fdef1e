using Molt.Hal;

namespace Molt.Drivers.Pci
{
    /// <summary>
    /// A function's MSI-X capability (id 0x11) and its table: message control
    /// at +2 (table size - 1 in bits 0-10, function mask bit 14, enable bit
    /// 15), table BAR and offset at +4 (BAR index in bits 0-2). Each table
    /// entry is 16 bytes: address low, address high, data, vector control
    /// (bit 0 masks it). The table is mapped as device memory.
    /// </summary>
    public unsafe struct MsiX
    {
        private PciFunction _function;
        private int _cap;
        private ulong _table;
        public int TableSize;

        public bool IsOpen => _table != 0;

        /// <summary>Finds and maps the table; false when the function has no MSI-X or its table BAR is unusable.</summary>
        public static bool Open(PciFunction f, out MsiX m)
        {
            m = default;
            int cap = f.FindCapability(PciFunction.CapMsiX);
            if (cap == 0) return false;
            ushort control = f.Read16(cap + 2);
            uint table = f.Read32(cap + 4);
            int size = (control & 0x7FF) + 1;
            ulong mapped = PciBus.MapBar(f, (int)(table & 7), table & ~7u, (ulong)size * 16);
            if (mapped == 0) return false;
            m._function = f;
            m._cap = cap;
            m._table = mapped;
            m.TableSize = size;
            // Every entry masked until a driver fills it.
            for (int i = 0; i < size; i++) DeviceAccess.Write32(mapped + (ulong)i * 16 + 12, 1);
            return true;
        }

        /// <summary>Programs entry <paramref name="index"/> and unmasks it.</summary>
        public bool SetEntry(int index, ulong address, uint data)
        {
            if ((uint)index >= (uint)TableSize) return false;
            ulong e = _table + (ulong)index * 16;
            DeviceAccess.Write32(e + 12, 1);
            DeviceAccess.Write32(e + 0, (uint)address);
            DeviceAccess.Write32(e + 4, (uint)(address >> 32));
            DeviceAccess.Write32(e + 8, data);
            DeviceAccess.Write32(e + 12, 0);
            return true;
        }

        public void MaskEntry(int index)
        {
            if ((uint)index < (uint)TableSize) DeviceAccess.Write32(_table + (ulong)index * 16 + 12, 1);
        }

        /// <summary>Turns MSI-X on (and INTx off, as the specification requires of an MSI-X function), or off again.</summary>
        public void Enable(bool on)
        {
            ushort control = _function.Read16(_cap + 2);
            control = on ? (ushort)((control | 0x8000) & ~0x4000) : (ushort)(control & ~0x8000);
            _function.Write16(_cap + 2, control);
            _function.SetIntxDisabled(on);
        }
    }
}
