using Molt.Drivers.Pci;
using Molt.Drivers.Virtio;
using Molt.Firmware;
using Molt.Hal;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// PCI discovery on the machine the tests boot: q35 (MCFG) on x86-64,
    /// virt (device tree) on AArch64. The test configurations add one modern
    /// virtio-net (ci/Molt.TestDriver); boots without it (the image tests)
    /// skip the device checks with a log line and still check the host bridge.
    /// </summary>
    internal static unsafe class PciTests
    {
        public static void Register()
        {
            TestRunner.Add("pci.host_bridge_found", &HostBridge);
            TestRunner.Add("pci.virtio_net_ids_and_bar", &VirtioIdsAndBar);
            TestRunner.Add("pci.bar_probe_restored_registers", &BarsRestored);
            TestRunner.Add("pci.capability_walk", &Capabilities);
            TestRunner.Add("pci.interrupt_route", &InterruptRoute);
        }

        /// <summary>The virtio-net function, or null after logging the skip.</summary>
        internal static PciFunction Nic(string test)
        {
            PciFunction f = PciBus.Find(PciNames.VendorVirtio, VirtioNet.DeviceIdModern);
            if (f == null) Console.Log.Info("test", $"{test}: no virtio-net (1af4:1041) in this machine; device checks skipped");
            return f;
        }

        private static void HostBridge(TestContext t)
        {
            if (!t.True(PciBus.Present, "a PCI host bridge was found (MCFG or pci-host-ecam-generic)")) return;
            t.True(PciBus.Count >= 1, "at least one function");
            PciFunction h = PciBus.Get(0);
            t.Equal(0, h.Bus, "first function's bus");
            t.Equal(0, h.Device, "first function's device");
            t.Equal(6, h.ClassCode, "00:00.0 is a bridge (class 06)");
            t.Equal(0, h.Subclass, "00:00.0 is a host bridge (subclass 00)");
            t.True(h.VendorId != 0xFFFF && h.VendorId != 0, "vendor id read through ECAM");
            // The ECAM read and the registry agree.
            t.Equal(h.VendorId, DeviceAccess.Read16(PciBus.ConfigAddress(0, 0, 0)), "vendor id re-read");
            // A slot the scan did not register reads all ones.
            int empty = -1;
            for (int dev = 31; dev > 0 && empty < 0; dev--)
            {
                bool used = false;
                for (int i = 0; i < PciBus.Count; i++) if (PciBus.Get(i).Bus == 0 && PciBus.Get(i).Device == dev) used = true;
                if (!used) empty = dev;
            }
            if (t.True(empty > 0, "an empty slot on bus 0"))
                t.Equal(0xFFFF, DeviceAccess.Read16(PciBus.ConfigAddress(0, empty, 0)), "an absent function reads 0xffff");
        }

        private static void VirtioIdsAndBar(TestContext t)
        {
            PciFunction f = Nic("pci.virtio_net_ids_and_bar");
            if (f == null) return;
            t.Equal(0x1AF4, f.VendorId, "vendor");
            t.Equal(0x1041, f.DeviceId, "device (modern virtio-net)");
            t.Equal(2, f.ClassCode, "class: network controller");
            t.Equal(0, f.Bus, "on the root bus");
            t.True(f.Revision >= 1, "modern virtio devices have revision 1 or more");
            t.Equal(0x1AF4, f.SubsystemVendorId, "subsystem vendor");
            // QEMU puts the modern virtio registers in BAR 4: 64-bit memory, 16 KiB at least.
            t.Equal((long)PciBarKind.Memory64, (long)f.BarKind(4), "BAR 4 is 64-bit memory");
            t.True(f.BarSize(4) >= 0x4000 && PciBar.IsPowerOfTwo(f.BarSize(4)), "BAR 4 size is a power of two of 16 KiB or more");
            t.True(f.BarAddress(4) != 0 && (f.BarAddress(4) & (f.BarSize(4) - 1)) == 0, "BAR 4 assigned and naturally aligned");
            t.Equal((long)PciBarKind.None, (long)f.BarKind(5), "BAR 5 is BAR 4's upper half");
            ushort command = f.Command;
            t.True((command & PciFunction.CommandMemory) != 0, "memory decoding on");
            t.True((command & PciFunction.CommandBusMaster) != 0, "bus mastering on");
        }

        private static void BarsRestored(TestContext t)
        {
            PciFunction f = Nic("pci.bar_probe_restored_registers");
            if (f == null) return;
            for (int i = 0; i < f.BarCount; i++)
            {
                PciBarKind kind = f.BarKind(i);
                if (kind == PciBarKind.None || kind == PciBarKind.Io) continue;
                uint low = f.Read32(0x10 + 4 * i);
                uint high = kind == PciBarKind.Memory64 ? f.Read32(0x14 + 4 * i) : 0;
                t.Equal((long)f.BarBusAddress(i), (long)PciBar.Address(low, high, kind), "BAR register holds the recorded address after sizing");
            }
        }

        private static void Capabilities(TestContext t)
        {
            PciFunction f = Nic("pci.capability_walk");
            if (f == null) return;
            int vendorCaps = 0, at = 0, total = 0, steps = 0;
            while ((at = f.NextCapability(at, ref steps)) != 0)
            {
                total++;
                t.True(at >= 0x40 && (at & 3) == 0, "capability inside the capability area, aligned");
                if (f.Read8(at) == PciFunction.CapVendor) vendorCaps++;
            }
            t.True(total >= 4 && total <= 48, "the walk ends, having seen the virtio capabilities");
            t.True(vendorCaps >= 4, "virtio's common, notify, ISR and device capabilities");
            t.True(f.FindCapability(PciFunction.CapMsiX) != 0, "an MSI-X capability (QEMU's virtio-net-pci has one)");
            t.Equal(0, f.FindCapability(0xEE), "an absent capability is not found");
        }

        private static void InterruptRoute(TestContext t)
        {
            PciFunction f = Nic("pci.interrupt_route");
            if (f == null) return;
            VirtioNet d = VirtioNet.Device(0);
            if (!t.True(d != null, "the virtio-net driver came up")) return;
            int first, end;
            DeviceInterrupts.MsiVectorRange(out first, out end);
            if (first < end)
            {
                t.True(d.UsesMsiX, "MSI-X where the arch offers MSI");
                t.True(d.Vector >= first && d.Vector < end, "MSI-X vector in the arch's range");
                return;
            }
            // AArch64 virt: INTx pin A of slot s raises SPI 3 + (s + 0) % 4, INTID 35-38, level.
            t.True(!d.UsesMsiX, "INTx without MSI");
            t.Equal(1, f.InterruptPin, "INTA");
            uint line; bool level;
            t.True(PciBus.Host.RouteInterrupt(f.Bus, f.Device, f.Function, 1, out line, out level), "interrupt-map has a route");
            t.Equal(32 + 3 + (f.Device + 0) % 4, line, "swizzled SPI of the slot");
            t.True(level, "level-triggered");
            t.Equal(line, d.WiredLine, "the driver uses that line");
            t.Equal(16, PciBus.Host.RouteCount, "QEMU virt maps 4 slots x 4 pins");
        }
    }
}
