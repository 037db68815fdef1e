using Molt.Boot;
using Molt.Console;
using Molt.Drivers.Pci;
using Molt.Drivers.Virtio;
using Molt.Net;

namespace Molt.Drivers
{
    /// <summary>
    /// Device bring-up at boot, after interrupts and every CPU are up:
    /// 1. PCI: find the host bridge and every function (<see cref="PciBus.Scan"/>).
    /// 2. Drivers: each modern virtio-net function (1af4:1041) is probed and
    ///    registered with <see cref="NetDevices"/>, in scan order.
    /// 3. <c>net.dev=N</c> picks the device <see cref="NetDevices.First"/> returns (default 0).
    /// </summary>
    public static class DeviceStartup
    {
        public static void Run(CommandLine cmd)
        {
            PciBus.Scan();
            for (int i = 0; i < PciBus.Count; i++)
            {
                PciFunction f = PciBus.Get(i);
                if (f.VendorId != PciNames.VendorVirtio) continue;
                if (f.DeviceId == PciNames.VirtioNetTransitional)
                {
                    Log.Warn("virtio-net", $"{(int)f.Bus:x2}:{(int)f.Device:x2}.{(int)f.Function} is a transitional device (1af4:1000); Molt drives modern ones only: add disable-legacy=on to -device virtio-net-pci");
                    continue;
                }
                if (f.DeviceId != VirtioNet.DeviceIdModern) continue;
                VirtioNet d = VirtioNet.Probe(f);
                if (d != null) NetDevices.Register(d);
            }
            ulong wanted;
            if (cmd.TryGetNumber("net.dev", out wanted))
            {
                if (NetDevices.Select((int)wanted)) Log.Info("net", $"net.dev={wanted}: using device {wanted} of {NetDevices.Count}");
                else Log.Warn("net", $"net.dev={wanted} names no device ({NetDevices.Count} found); using device 0");
            }
            if (NetDevices.Count == 0) Log.Info("net", $"no network device");
        }
    }
}
