// Compiled for the host tests too (tests/Molt.Tests), where nullable analysis is on; kernel strings here may be null.
#nullable disable
using Molt.Boot;

namespace Molt.Firmware
{
    /// <summary>
    /// A "pci-host-ecam-generic" node of the device tree (QEMU's arm64
    /// <c>virt</c>: <c>/pcie@10000000</c>), read into a <see cref="PciHostBridge"/>:
    /// <list type="bullet">
    /// <item>reg: the ECAM region (translated to a CPU address); bus-range
    ///       (default: as many buses as reg covers, from 0); linux,pci-domain.</item>
    /// <item>ranges: rows of (3-cell PCI address, parent address, size);
    ///       phys.hi bits 24-25 give the space (1 I/O, 2 32-bit memory,
    ///       3 64-bit memory), bit 30 prefetchable. The first 32-bit and the
    ///       first 64-bit memory window are kept.</item>
    /// <item>interrupt-map-mask and interrupt-map: rows of (3-cell unit
    ///       address, 1-cell pin, parent phandle, the parent's
    ///       #address-cells, the parent's #interrupt-cells specifier). Only a
    ///       GIC parent (3 cells: type 0 SPI / 1 PPI, number, flags) is
    ///       understood: INTID = number + 32 (SPI) or + 16 (PPI); flags 4 or 8
    ///       are level, 1 or 2 edge.</item>
    /// </list>
    /// Every length is checked against the property's size; a malformed
    /// property is refused with its name (for interrupt-map, the row's byte
    /// offset is in <see cref="PciHostBridge.ErrorOffset"/>).
    /// </summary>
    public static unsafe class PciHostDeviceTree
    {
        public const string Compatible = "pci-host-ecam-generic";

        /// <summary>Reads the first enabled ECAM host node. Returns null, or why not.</summary>
        public static string Parse(ref DeviceTree tree, out PciHostBridge host)
        {
            host = default;
            int node = tree.FindCompatible(Compatible);
            if (node < 0) return "no pci-host-ecam-generic node";
            return Parse(ref tree, node, out host);
        }

        public static string Parse(ref DeviceTree tree, int node, out PciHostBridge host)
        {
            host = default;
            ulong ecam, ecamSize;
            if (!tree.ReadReg(node, 0, out ecam, out ecamSize)) return "reg of the PCI host node is missing or not translatable";
            if (ecamSize < (1UL << 20) || (ecam & 0xFFFFF) != 0) return "reg of the PCI host node is not a 1 MiB-aligned ECAM region of at least one bus";
            byte* v; int n;
            uint start = 0, end = (uint)((ecamSize >> 20) - 1);
            if (tree.GetProperty(node, "bus-range", out v, out n))
            {
                if (n != 8) return "bus-range is not two cells";
                start = DeviceTree.ReadBE32(v);
                end = DeviceTree.ReadBE32(v + 4);
                if (end > 255 || end < start) return "bus-range is not within 0-255 and ascending";
                if ((ulong)(end - start + 1) << 20 > ecamSize) return "bus-range covers more buses than reg";
            }
            if (end > 255) end = 255;
            host.Ecam.Base = ecam;
            host.Ecam.StartBus = (byte)start;
            host.Ecam.EndBus = (byte)end;
            host.Ecam.Segment = (ushort)tree.GetU32(node, "linux,pci-domain", 0);

            string error = ReadRanges(ref tree, node, ref host);
            if (error != null) return error;
            return ReadInterruptMap(ref tree, node, ref host);
        }

        private static ulong Cells(byte* p, uint cells)
        {
            ulong value = 0;
            for (uint i = 0; i < cells; i++) value = value << 32 | DeviceTree.ReadBE32(p + 4 * i);
            return value;
        }

        private static string ReadRanges(ref DeviceTree tree, int node, ref PciHostBridge host)
        {
            byte* v; int n;
            if (!tree.GetProperty(node, "ranges", out v, out n)) return null; // firmware assigned the BARs
            int parent = tree.Parent(node);
            uint childCells = tree.AddressCells(node), parentCells = parent >= 0 ? tree.AddressCells(parent) : 2, sizeCells = tree.SizeCells(node);
            if (childCells != 3) return "the PCI host node's #address-cells is not 3";
            if (parentCells < 1 || parentCells > 2 || sizeCells < 1 || sizeCells > 2) return "ranges uses unsupported cell counts";
            int row = (int)(4 * (childCells + parentCells + sizeCells));
            if (n % row != 0) return "ranges is not a whole number of rows";
            for (int at = 0; at < n; at += row)
            {
                uint hi = DeviceTree.ReadBE32(v + at);
                ulong pci = Cells(v + at + 4, 2);
                ulong cpu = Cells(v + at + 12, parentCells);
                ulong size = Cells(v + at + 12 + 4 * (int)parentCells, sizeCells);
                uint space = (hi >> 24) & 3;
                var w = new PciWindow { CpuBase = cpu, PciBase = pci, Size = size, Prefetchable = (hi & (1u << 30)) != 0 };
                if (space == 2 && !host.Mem32.Present) host.Mem32 = w;
                else if (space == 3 && !host.Mem64.Present) host.Mem64 = w;
            }
            return null;
        }

        /// <summary>The node whose "phandle" (or "linux,phandle") is <paramref name="phandle"/>, or -1.</summary>
        public static int FindByPhandle(ref DeviceTree tree, uint phandle)
        {
            int node = -1, depth = 0;
            while (tree.NextNode(ref node, ref depth))
            {
                uint p = tree.GetU32(node, "phandle", 0);
                if (p == 0) p = tree.GetU32(node, "linux,phandle", 0);
                if (p == phandle && p != 0) return node;
            }
            return -1;
        }

        private static string ReadInterruptMap(ref DeviceTree tree, int node, ref PciHostBridge host)
        {
            byte* map; int mapLength;
            if (!tree.GetProperty(node, "interrupt-map", out map, out mapLength)) return null; // MSI only, or none
            if (tree.GetU32(node, "#interrupt-cells", 1) != 1) return "the PCI host node's #interrupt-cells is not 1";
            byte* mask; int maskLength;
            if (tree.GetProperty(node, "interrupt-map-mask", out mask, out maskLength))
            {
                if (maskLength != 16) return "interrupt-map-mask is not 4 cells";
                host.MapMaskHi = DeviceTree.ReadBE32(mask);
                host.MapMaskPin = DeviceTree.ReadBE32(mask + 12);
            }
            else { host.MapMaskHi = 0xFFFFFFFF; host.MapMaskPin = 0xFFFFFFFF; }

            int at = 0;
            while (at < mapLength)
            {
                if (at + 20 > mapLength) { host.ErrorOffset = at; return "interrupt-map: a row is cut short"; }
                uint hi = DeviceTree.ReadBE32(map + at);
                uint pin = DeviceTree.ReadBE32(map + at + 12);
                uint phandle = DeviceTree.ReadBE32(map + at + 16);
                int parent = FindByPhandle(ref tree, phandle);
                if (parent < 0) { host.ErrorOffset = at; return "interrupt-map: a row names a phandle no node has"; }
                uint parentAddress = tree.GetU32(parent, "#address-cells", 0);
                uint parentInterrupt = tree.GetU32(parent, "#interrupt-cells", 0);
                if (parentInterrupt != 3) { host.ErrorOffset = at; return "interrupt-map: a row's parent has #interrupt-cells other than a GIC's 3"; }
                int specifier = at + 20 + 4 * (int)parentAddress;
                int next = specifier + 12;
                if (parentAddress > 3 || next > mapLength) { host.ErrorOffset = at; return "interrupt-map: a row is cut short"; }
                uint type = DeviceTree.ReadBE32(map + specifier);
                uint number = DeviceTree.ReadBE32(map + specifier + 4);
                uint flags = DeviceTree.ReadBE32(map + specifier + 8);
                if (type > 1 || number > 987) { host.ErrorOffset = at; return "interrupt-map: a row names an interrupt type other than SPI or PPI, or a number past 987"; }
                uint line = number + (type == 0 ? 32u : 16u);
                bool level = (flags & 0xC) != 0;
                if (pin >= 1 && pin <= 4 && !host.AddRoute(hi, (byte)pin, line, level))
                    { host.ErrorOffset = at; return "interrupt-map has more rows than PciHostBridge.MaxRoutes (64)"; }
                at = next;
            }
            return null;
        }
    }
}
