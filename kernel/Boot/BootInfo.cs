using System.Runtime.InteropServices;

namespace Molt.Boot
{
    public enum BootProtocol : uint
    {
        Unknown = 0,
        Limine = 1,
        Pvh = 2,
        Multiboot2 = 3,
        LinuxArm64 = 4,
    }

    public enum MemoryKind : uint
    {
        Usable = 0,
        Reserved = 1,
        AcpiReclaimable = 2,
        AcpiNvs = 3,
        Bad = 4,
        BootloaderReclaimable = 5,
        KernelAndModules = 6,
        Framebuffer = 7,
        /// <summary>
        /// Device registers early boot already uses (the AArch64 debug UART):
        /// not RAM, never handed out, mapped as Device memory in the direct map.
        /// </summary>
        Mmio = 8,
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryRegion
    {
        public ulong Base;
        public ulong Length;
        public MemoryKind Kind;
        public uint Reserved;
    }

    /// <summary>
    /// What every boot path hands the arch-neutral kernel, whatever the
    /// loader: the memory map, where the kernel is, how physical memory is
    /// reached right now, and the command line. It lives in static storage
    /// filled by the arch's entry code, because nothing can be allocated yet.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct BootInfo
    {
        public const int MaxRegions = 128;
        public const int MaxCommandLine = 1024;
        public const int MaxLoaderName = 64;

        public BootProtocol Protocol;
        public uint RegionCount;
        /// <summary>Virtual address at which physical address 0 is mapped now.</summary>
        public ulong DirectMapOffset;
        public ulong KernelPhysicalBase;
        public ulong KernelVirtualBase;
        public ulong EntryTimestamp;
        public ulong Rsdp;
        /// <summary>Limine's MP response (a virtual address), or 0 when the loader started no CPUs for us.</summary>
        public ulong LimineMp;
        /// <summary>Physical address of the flattened device tree (AArch64), or 0.</summary>
        public ulong DeviceTree;
        public int CommandLineLength;
        public fixed byte CommandLine[MaxCommandLine];
        /// <summary>The loader's "name version" when it tells (Limine's bootloader-info response); empty otherwise.</summary>
        public int LoaderNameLength;
        public fixed byte LoaderName[MaxLoaderName];
        /// <summary>
        /// Limine only: the base revision asked for, and the one in force
        /// (-1 when the loader used an older one without saying which, as
        /// Limine 8.x does when asked for 3).
        /// </summary>
        public int BaseRevisionAsked, BaseRevision;
        /// <summary>
        /// The linear framebuffer the loader set up (Limine's framebuffer
        /// response, Multiboot2's framebuffer tag), or 0 when there is none
        /// (PVH, a text mode, a loader that set no mode). Direct RGB only.
        /// </summary>
        /// <summary>
        /// The boot module (QEMU -initrd, a loader's first module), or 0: the
        /// patch bundles the kernel may apply after boot (update/Patching),
        /// one after another. Its frames are carved out as KernelAndModules.
        /// </summary>
        public ulong ModulePhysical, ModuleSize;

        /// <summary>Records the boot module and keeps the frame allocator off it.</summary>
        public void SetModule(ulong physical, ulong size)
        {
            if (size == 0) return;
            ModulePhysical = physical;
            ModuleSize = size;
            Carve(physical & ~4095UL, (physical + size + 4095) & ~4095UL, MemoryKind.KernelAndModules);
        }

        public ulong FramebufferPhysical;
        public uint FramebufferWidth, FramebufferHeight;
        /// <summary>Bytes from one row of pixels to the next.</summary>
        public uint FramebufferPitch;
        public uint FramebufferBitsPerPixel;
        /// <summary>Where each colour's bits are in a pixel: the lowest bit's position and the bit count.</summary>
        public byte RedShift, RedSize, GreenShift, GreenSize, BlueShift, BlueSize;

        /// <summary>Records a direct-RGB framebuffer; ignored unless its shape is one the screen console can draw on.</summary>
        public void SetFramebuffer(ulong physical, uint width, uint height, uint pitch, uint bitsPerPixel,
                                  byte redShift, byte redSize, byte greenShift, byte greenSize, byte blueShift, byte blueSize)
        {
            if (physical == 0 || width == 0 || height == 0) return;
            if (bitsPerPixel != 16 && bitsPerPixel != 24 && bitsPerPixel != 32) return;
            if ((ulong)pitch < (ulong)width * (bitsPerPixel / 8)) return;
            FramebufferPhysical = physical;
            FramebufferWidth = width;
            FramebufferHeight = height;
            FramebufferPitch = pitch;
            FramebufferBitsPerPixel = bitsPerPixel;
            RedShift = redShift; RedSize = redSize;
            GreenShift = greenShift; GreenSize = greenSize;
            BlueShift = blueShift; BlueSize = blueSize;
        }

        /// <summary>Bytes the framebuffer spans.</summary>
        public ulong FramebufferBytes => (ulong)FramebufferPitch * FramebufferHeight;
        public fixed ulong RegionStorage[MaxRegions * 3];

        public MemoryRegion* Regions
        {
            get { fixed (ulong* p = RegionStorage) return (MemoryRegion*)p; }
        }

        /// <summary>Appends a region, dropping it (and returning false) once the table is full.</summary>
        public bool AddRegion(ulong baseAddress, ulong length, MemoryKind kind)
        {
            if (RegionCount >= MaxRegions || length == 0) return false;
            MemoryRegion* r = Regions + RegionCount++;
            r->Base = baseAddress;
            r->Length = length;
            r->Kind = kind;
            r->Reserved = 0;
            return true;
        }

        /// <summary>Copies a NUL-terminated command line, truncating at <see cref="MaxCommandLine"/>-1 bytes.</summary>
        public void SetCommandLine(byte* text)
        {
            int n = 0;
            if (text != null)
                while (n < MaxCommandLine - 1 && text[n] != 0) { CommandLine[n] = text[n]; n++; }
            CommandLine[n] = 0;
            CommandLineLength = n;
        }

        /// <summary>
        /// Takes [start, end) (widened to whole pages) out of every usable
        /// region it overlaps and records it as <paramref name="kind"/>: a
        /// usable region keeps the part below the range, the part above and
        /// the carved part are appended. Regions of other kinds are left alone.
        /// </summary>
        public void Carve(ulong start, ulong end, MemoryKind kind)
        {
            start &= ~0xFFFUL;
            end = (end + 0xFFF) & ~0xFFFUL;
            if (end <= start) return;
            uint n = RegionCount;
            for (uint i = 0; i < n; i++)
            {
                MemoryRegion* r = Regions + i;
                if (r->Kind != MemoryKind.Usable) continue;
                ulong rs = r->Base, re = r->Base + r->Length;
                if (re <= start || rs >= end) continue;
                ulong cs = start > rs ? start : rs, ce = end < re ? end : re;
                if (cs > rs)
                {
                    r->Length = cs - rs;
                    if (re > ce) AddRegion(ce, re - ce, MemoryKind.Usable);
                    AddRegion(cs, ce - cs, kind);
                }
                else if (re > ce)
                {
                    // Nothing below: the part above takes the slot, so no empty region is left behind.
                    r->Base = ce;
                    r->Length = re - ce;
                    AddRegion(cs, ce - cs, kind);
                }
                else r->Kind = kind;
            }
        }

        /// <summary>
        /// Memory maps call the kernel's own pages usable; carve the image
        /// (text through the symbol table and .bss) out so the frame
        /// allocator never hands them out. Needs <see cref="KernelPhysicalBase"/>.
        /// </summary>
        public void MarkKernel()
        {
            ulong start = KernelPhysicalBase;
            Carve(start, start + (Hal.Layout.KernelEnd - Hal.Layout.KernelStart), MemoryKind.KernelAndModules);
        }

        /// <summary>Sets <see cref="LoaderName"/> to "name version", truncating at <see cref="MaxLoaderName"/>-1 bytes.</summary>
        public void SetLoaderName(byte* name, byte* version)
        {
            int n = 0;
            for (byte* s = name; s != null && *s != 0 && n < MaxLoaderName - 1; s++) LoaderName[n++] = *s;
            if (version != null && *version != 0 && n < MaxLoaderName - 1) LoaderName[n++] = (byte)' ';
            for (byte* s = version; s != null && *s != 0 && n < MaxLoaderName - 1; s++) LoaderName[n++] = *s;
            LoaderName[n] = 0;
            LoaderNameLength = n;
        }

        public ulong UsableBytes()
        {
            ulong total = 0;
            for (uint i = 0; i < RegionCount; i++)
                if (Regions[i].Kind == MemoryKind.Usable) total += Regions[i].Length;
            return total;
        }
    }
}
