namespace Molt.Firmware
{
    /// <summary>One PCI Express enhanced configuration (ECAM) region: 4 KiB per function, 1 MiB per bus.</summary>
    public struct EcamRegion
    {
        /// <summary>Physical address of bus <see cref="StartBus"/>'s configuration space.</summary>
        public ulong Base;
        public ushort Segment;
        public byte StartBus, EndBus;

        public int BusCount => EndBus - StartBus + 1;
        public ulong Size => (ulong)BusCount << 20;
    }

    /// <summary>A window of the host bridge through which the CPU reaches PCI memory (device tree "ranges").</summary>
    public struct PciWindow
    {
        public ulong CpuBase;
        public ulong PciBase;
        public ulong Size;
        public bool Prefetchable;

        public bool Present => Size != 0;
    }

    /// <summary>
    /// What firmware says about one PCI host bridge: where its
    /// configuration space is, where its BARs may be placed (only the device
    /// tree says; under ACPI firmware has assigned them already), and how
    /// its legacy INTx pins reach the interrupt controller (the device
    /// tree's interrupt-map; ACPI's _PRT is AML and not read).
    /// Plain data, filled by <see cref="McfgTable"/> or <see cref="PciHostDeviceTree"/>.
    /// </summary>
    public unsafe struct PciHostBridge
    {
        public const int MaxRoutes = 64;

        public EcamRegion Ecam;
        public PciWindow Mem32, Mem64;

        /// <summary>interrupt-map-mask: the bits of (phys.hi of the unit address, pin) that select a route.</summary>
        public uint MapMaskHi, MapMaskPin;
        public int RouteCount;
        /// <summary>When a parser refuses a property, the byte offset in it of the part at fault (else 0).</summary>
        public int ErrorOffset;
        private fixed uint _routeHi[MaxRoutes];
        private fixed byte _routePin[MaxRoutes];
        private fixed uint _routeLine[MaxRoutes];
        private fixed byte _routeLevel[MaxRoutes];

        /// <summary>Adds one interrupt-map row; false when the table is full.</summary>
        public bool AddRoute(uint unitHi, byte pin, uint line, bool level)
        {
            if (RouteCount >= MaxRoutes) return false;
            _routeHi[RouteCount] = unitHi;
            _routePin[RouteCount] = pin;
            _routeLine[RouteCount] = line;
            _routeLevel[RouteCount] = level ? (byte)1 : (byte)0;
            RouteCount++;
            return true;
        }

        public void GetRoute(int index, out uint unitHi, out byte pin, out uint line, out bool level)
        {
            unitHi = _routeHi[index]; pin = _routePin[index]; line = _routeLine[index]; level = _routeLevel[index] != 0;
        }

        /// <summary>The unit address' phys.hi cell of a function: bus in bits 16-23, device 11-15, function 8-10.</summary>
        public static uint UnitHi(int bus, int device, int function) => (uint)(bus & 0xFF) << 16 | (uint)(device & 0x1F) << 11 | (uint)(function & 7) << 8;

        /// <summary>
        /// The interrupt line (a GIC INTID) that INTx pin <paramref name="pin"/>
        /// (1 = INTA .. 4 = INTD) of a function on the host bridge's own bus
        /// raises, through the interrupt-map. False when no row matches.
        /// </summary>
        public bool RouteInterrupt(int bus, int device, int function, byte pin, out uint line, out bool level)
        {
            line = 0; level = false;
            if (pin < 1 || pin > 4) return false;
            uint hi = UnitHi(bus, device, function) & MapMaskHi;
            uint p = pin & MapMaskPin;
            for (int i = 0; i < RouteCount; i++)
            {
                if ((_routeHi[i] & MapMaskHi) != hi || (_routePin[i] & MapMaskPin) != p) continue;
                line = _routeLine[i];
                level = _routeLevel[i] != 0;
                return true;
            }
            return false;
        }

        /// <summary>The standard INTx swizzle across a PCI-to-PCI bridge: pin (1-4) seen on the parent bus.</summary>
        public static byte SwizzlePin(int device, byte pin) => (byte)((pin - 1 + device) % 4 + 1);
    }
}
