using Molt.Drivers.Pci;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Drivers.Virtio
{
    /// <summary>
    /// The virtio 1.x PCI transport, modern interface only (4.1): the
    /// device's vendor capabilities (id 0x09) point into its BARs at the
    /// common configuration (cfg_type 1), the notification area (2, with a
    /// notify_off_multiplier), the ISR status byte (3) and the device-specific
    /// configuration (4). A legacy-only device (no common configuration
    /// capability) is refused. Every region is mapped as device memory.
    /// One instance per device, allocated at probe and kept for the kernel's life.
    /// </summary>
    public sealed unsafe class VirtioPciTransport
    {
        // cfg_type values.
        public const byte CommonCfg = 1, NotifyCfg = 2, IsrCfg = 3, DeviceCfg = 4;
        // Device status bits (2.1).
        public const byte StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8, StatusNeedsReset = 64, StatusFailed = 128;
        public const ushort NoVector = 0xFFFF;

        // Common configuration layout (4.1.4.3).
        private const int DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0C;
        private const int MsixConfig = 0x10, NumQueues = 0x12, DeviceStatus = 0x14, ConfigGeneration = 0x15;
        private const int QueueSelect = 0x16, QueueSize = 0x18, QueueMsixVector = 0x1A, QueueEnable = 0x1C, QueueNotifyOff = 0x1E;
        private const int QueueDesc = 0x20, QueueDriver = 0x28, QueueDevice = 0x30;

        public PciFunction Function;
        public ulong Common, Notify, Isr, Device;
        public uint NotifyMultiplier;
        public uint DeviceLength;

        /// <summary>Finds and maps the four regions. Returns null, or the one missing or unmappable.</summary>
        public static string Open(PciFunction f, out VirtioPciTransport transport)
        {
            transport = null;
            var t = new VirtioPciTransport { Function = f };
            int cap = 0;
            while ((cap = f.FindCapability(PciFunction.CapVendor, cap)) != 0)
            {
                byte length = f.Read8(cap + 2);
                if (length < 16) continue;
                byte type = f.Read8(cap + 3);
                int bar = f.Read8(cap + 4);
                uint offset = f.Read32(cap + 8);
                uint size = f.Read32(cap + 12);
                if (bar > 5 || size == 0) continue;
                ref ulong slot = ref t.Common;
                switch (type)
                {
                    case CommonCfg: slot = ref t.Common; break;
                    case NotifyCfg: slot = ref t.Notify; if (length >= 20) t.NotifyMultiplier = f.Read32(cap + 16); break;
                    case IsrCfg: slot = ref t.Isr; break;
                    case DeviceCfg: slot = ref t.Device; t.DeviceLength = size; break;
                    default: continue;
                }
                if (slot != 0) continue; // the first capability of each type is the preferred one (4.1.4)
                slot = PciBus.MapBar(f, bar, offset, size);
                if (slot == 0) return type == CommonCfg ? "the common configuration's BAR is unassigned or unmappable" : "a virtio capability's BAR is unassigned or unmappable";
            }
            if (t.Common == 0) { Heap.Free(t); return "no virtio common configuration capability (a legacy-only device)"; }
            if (t.Notify == 0) { Heap.Free(t); return "no virtio notification capability"; }
            if (t.Isr == 0) { Heap.Free(t); return "no virtio ISR capability"; }
            transport = t;
            return null;
        }

        public byte Status
        {
            get => DeviceAccess.Read8(Common + DeviceStatus);
            set => DeviceAccess.Write8(Common + DeviceStatus, value);
        }

        /// <summary>Writes 0 and waits (at most about a million reads) until the device reads back 0 (4.1.4.3.2).</summary>
        public bool Reset()
        {
            Status = 0;
            for (int i = 0; i < 1_000_000; i++)
            {
                if (Status == 0) return true;
                Cpu.Relax();
            }
            return false;
        }

        public ulong DeviceFeatures()
        {
            DeviceAccess.Write32(Common + DeviceFeatureSelect, 0);
            ulong low = DeviceAccess.Read32(Common + DeviceFeature);
            DeviceAccess.Write32(Common + DeviceFeatureSelect, 1);
            ulong high = DeviceAccess.Read32(Common + DeviceFeature);
            return low | high << 32;
        }

        public void SetDriverFeatures(ulong features)
        {
            DeviceAccess.Write32(Common + DriverFeatureSelect, 0);
            DeviceAccess.Write32(Common + DriverFeature, (uint)features);
            DeviceAccess.Write32(Common + DriverFeatureSelect, 1);
            DeviceAccess.Write32(Common + DriverFeature, (uint)(features >> 32));
        }

        public int QueueCount => DeviceAccess.Read16(Common + NumQueues);
        public byte ConfigGenerationValue => DeviceAccess.Read8(Common + ConfigGeneration);
        public void SetConfigVector(ushort vector) => DeviceAccess.Write16(Common + MsixConfig, vector);

        /// <summary>The size the device offers for queue <paramref name="index"/> (0: no such queue).</summary>
        public int MaxQueueSize(int index)
        {
            DeviceAccess.Write16(Common + QueueSelect, (ushort)index);
            return DeviceAccess.Read16(Common + QueueSize);
        }

        /// <summary>
        /// Gives the device queue <paramref name="index"/>'s rings (physical
        /// addresses), its size and MSI-X vector, then enables it. Returns the
        /// queue's notification address (virtual), or 0 when the device
        /// refused the vector.
        /// </summary>
        public ulong EnableQueue(int index, int size, ulong desc, ulong driver, ulong device, ushort msixVector)
        {
            DeviceAccess.Write16(Common + QueueSelect, (ushort)index);
            DeviceAccess.Write16(Common + QueueSize, (ushort)size);
            Write64(QueueDesc, desc);
            Write64(QueueDriver, driver);
            Write64(QueueDevice, device);
            DeviceAccess.Write16(Common + QueueMsixVector, msixVector);
            if (DeviceAccess.Read16(Common + QueueMsixVector) != msixVector) return 0;
            ushort notifyOff = DeviceAccess.Read16(Common + QueueNotifyOff);
            DeviceAccess.Write16(Common + QueueEnable, 1);
            return Notify + (ulong)notifyOff * NotifyMultiplier;
        }

        private void Write64(int offset, ulong value)
        {
            DeviceAccess.Write32(Common + (ulong)offset, (uint)value);
            DeviceAccess.Write32(Common + (ulong)offset + 4, (uint)(value >> 32));
        }

        /// <summary>Reading the ISR status clears it and lowers the INTx line (4.1.4.5): bit 0 queue, bit 1 configuration change.</summary>
        public byte ReadIsr() => DeviceAccess.Read8(Isr);
    }
}
