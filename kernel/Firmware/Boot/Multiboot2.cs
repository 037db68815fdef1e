using System.Runtime.InteropServices;

namespace Molt.Boot
{
    /// <summary>
    /// The Multiboot2 hand-off (GRUB): EBX pointed at the boot information,
    /// a list of 8-byte-aligned tags. Read: command line (1), memory map (6),
    /// framebuffer (8, direct RGB only: the header in boot/entry.S asks GRUB
    /// for a linear mode), ACPI RSDP (14, 15). The same early mappings as PVH apply.
    /// </summary>
    internal static unsafe class Multiboot2
    {
        private const uint TagEnd = 0, TagCommandLine = 1, TagMemoryMap = 6, TagFramebuffer = 8, TagAcpiOld = 14, TagAcpiNew = 15;

        [StructLayout(LayoutKind.Sequential)]
        private struct Tag { public uint Type; public uint Size; }

        [StructLayout(LayoutKind.Sequential)]
        private struct MemoryMapEntry { public ulong Address; public ulong Length; public uint Type; public uint Reserved; }

        /// <summary>Tag 8: the common part, then (type 1, direct RGB) the colour fields.</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 1)]
        private struct FramebufferTag
        {
            public uint Type, Size;
            public ulong Address;
            public uint Pitch, Width, Height;
            public byte Bpp, FramebufferType;
            public ushort Reserved;
            public byte RedShift, RedSize, GreenShift, GreenSize, BlueShift, BlueSize;
        }

        public static void Fill(ulong infoPhysical, BootInfo* info) => Fill(infoPhysical, info, Pvh.EarlyDirectMap);

        /// <summary>Reads the information block through the direct map at <paramref name="directMap"/> (the early one at boot; the tests pass the kernel's).</summary>
        internal static void Fill(ulong infoPhysical, BootInfo* info, ulong directMap)
        {
            info->Protocol = BootProtocol.Multiboot2;
            info->DirectMapOffset = directMap;
            info->KernelPhysicalBase = LoadAddress.KernelPhysicalBase;
            info->KernelVirtualBase = Hal.Layout.KernelStart;
            info->SetCommandLine(null);
            byte* start = (byte*)(infoPhysical + directMap);
            uint totalSize = *(uint*)start;
            byte* end = start + totalSize;
            byte* p = start + 8;
            while (p + 8 <= end)
            {
                var tag = (Tag*)p;
                if (tag->Type == TagEnd || tag->Size < 8) break;
                switch (tag->Type)
                {
                    case TagCommandLine:
                        info->SetCommandLine(p + 8);
                        break;
                    case TagMemoryMap:
                        uint entrySize = *(uint*)(p + 8);
                        if (entrySize < 24) break;
                        for (byte* e = p + 16; e + entrySize <= p + tag->Size; e += entrySize)
                        {
                            var m = (MemoryMapEntry*)e;
                            info->AddRegion(m->Address, m->Length, E820.Kind(m->Type));
                        }
                        break;
                    case TagFramebuffer:
                        var fb = (FramebufferTag*)p;
                        if (fb->FramebufferType == 1 && tag->Size >= (uint)sizeof(FramebufferTag))
                            info->SetFramebuffer(fb->Address, fb->Width, fb->Height, fb->Pitch, fb->Bpp,
                                                 fb->RedShift, fb->RedSize, fb->GreenShift, fb->GreenSize, fb->BlueShift, fb->BlueSize);
                        break;
                    case TagAcpiOld:
                    case TagAcpiNew:
                        info->Rsdp = (ulong)(p + 8) - directMap;
                        break;
                }
                p += (tag->Size + 7) & ~7u;
            }
            info->MarkKernel();
            // GRUB puts the information block (and with it the RSDP copy that
            // info->Rsdp points at) in memory its map calls usable; keep the
            // frame allocator off it, as Limine's responses are kept off.
            info->Carve(infoPhysical, infoPhysical + totalSize, MemoryKind.BootloaderReclaimable);
        }
    }
}
