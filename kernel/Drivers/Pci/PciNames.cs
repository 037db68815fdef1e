namespace Molt.Drivers.Pci
{
    /// <summary>Names for the log line of each PCI function: virtio devices by type, others by class.</summary>
    public static class PciNames
    {
        public const ushort VendorVirtio = 0x1AF4;
        public const ushort VirtioNetModern = 0x1041, VirtioNetTransitional = 0x1000;

        public static string Describe(ushort vendor, ushort device, byte cls, byte subclass)
        {
            if (vendor == VendorVirtio)
            {
                switch (device)
                {
                    case VirtioNetModern: return "virtio-net";
                    case VirtioNetTransitional: return "virtio-net (transitional)";
                    case 0x1001: case 0x1042: return "virtio-blk";
                    case 0x1003: case 0x1043: return "virtio-console";
                    case 0x1005: case 0x1044: return "virtio-rng";
                    case 0x1050: return "virtio-gpu";
                    default: return "virtio";
                }
            }
            switch (cls)
            {
                case 0x01: return subclass == 0x06 ? "SATA controller" : subclass == 0x08 ? "NVMe controller" : "storage controller";
                case 0x02: return "network controller";
                case 0x03: return "display controller";
                case 0x06: return subclass == 0x00 ? "host bridge" : subclass == 0x01 ? "ISA bridge" : subclass == 0x04 ? "PCI-to-PCI bridge" : "bridge";
                case 0x0C: return subclass == 0x03 ? "USB controller" : subclass == 0x05 ? "SMBus controller" : "serial bus controller";
                default: return "device";
            }
        }
    }
}
