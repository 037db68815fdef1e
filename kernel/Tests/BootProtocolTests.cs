using Molt.Boot;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The x86 boot hand-offs (kernel/Firmware/Boot): a Multiboot2 information
    /// block and a PVH start_info, built here in a frame and read through the
    /// kernel's direct map, so the parsers' tests run on both arches.
    /// </summary>
    internal static unsafe class BootProtocolTests
    {
        public static void Register()
        {
            TestRunner.Add("firmware.boot.multiboot2", &Multiboot2Block);
            TestRunner.Add("firmware.boot.pvh", &PvhStartInfo);
        }

        private static BootInfo* NewInfo()
        {
            var info = (BootInfo*)Heap.AllocateOrPanic((uint)sizeof(BootInfo));
            Heap.Zero((byte*)info, (uint)sizeof(BootInfo));
            return info;
        }

        private static void Put(byte* p, string s) { for (int i = 0; i < s.Length; i++) p[i] = (byte)s[i]; p[s.Length] = 0; }

        private static bool CommandLineIs(BootInfo* info, string expected)
        {
            if (info->CommandLineLength != expected.Length) return false;
            for (int i = 0; i < expected.Length; i++) if (info->CommandLine[i] != expected[i]) return false;
            return true;
        }

        /// <summary>The kind of the region holding <paramref name="address"/>, or -1.</summary>
        private static long KindAt(BootInfo* info, ulong address)
        {
            for (uint i = 0; i < info->RegionCount; i++)
            {
                MemoryRegion* r = info->Regions + i;
                if (address >= r->Base && address < r->Base + r->Length) return (long)r->Kind;
            }
            return -1;
        }

        private static void Multiboot2Block(TestContext t)
        {
            ulong phys = FrameAllocator.Allocate();
            if (!t.True(phys != 0, "a frame")) return;
            byte* b = (byte*)FrameAllocator.ToVirtual(phys);
            Heap.Zero(b, 4096);
            int at = 8;
            // Tag 1: the command line.
            *(uint*)(b + at) = 1; *(uint*)(b + at + 4) = 8 + 9; Put(b + at + 8, "test x=1");
            at += (8 + 9 + 7) & ~7;
            // Tag 6: the memory map, three 24-byte entries.
            *(uint*)(b + at) = 6; *(uint*)(b + at + 4) = 16 + 3 * 24; *(uint*)(b + at + 8) = 24;
            ulong* e = (ulong*)(b + at + 16);
            e[0] = 0; e[1] = 0x9FC00; e[2] = 1;
            e[3] = 0xF0000; e[4] = 0x10000; e[5] = 2;
            e[6] = 0x40000000; e[7] = 0x1000000; e[8] = 1;
            at += 16 + 3 * 24;
            // Tag 8: a 1024x768 direct-RGB framebuffer (38 bytes).
            byte* fb = b + at;
            *(uint*)fb = 8; *(uint*)(fb + 4) = 38; *(ulong*)(fb + 8) = 0xFD000000;
            *(uint*)(fb + 16) = 4096; *(uint*)(fb + 20) = 1024; *(uint*)(fb + 24) = 768; fb[28] = 32; fb[29] = 1;
            fb[32] = 16; fb[33] = 8; fb[34] = 8; fb[35] = 8; fb[36] = 0; fb[37] = 8;
            at += (38 + 7) & ~7;
            // Tag 15: the RSDP copy.
            int rsdpTag = at;
            *(uint*)(b + at) = 15; *(uint*)(b + at + 4) = 8 + 36; Put(b + at + 8, "RSD PTR ");
            at += (8 + 36 + 7) & ~7;
            // Tag 0: the end.
            *(uint*)(b + at) = 0; *(uint*)(b + at + 4) = 8;
            at += 8;
            *(uint*)b = (uint)at;

            BootInfo* info = NewInfo();
            Multiboot2.Fill(phys, info, FrameAllocator.DirectMapOffset);
            t.Equal((long)BootProtocol.Multiboot2, (long)info->Protocol, "protocol");
            t.True(CommandLineIs(info, "test x=1"), "the command line");
            t.Equal((long)MemoryKind.Usable, KindAt(info, 0x1000), "low memory usable");
            t.Equal((long)MemoryKind.Reserved, KindAt(info, 0xF8000), "the BIOS area reserved");
            t.Equal((long)MemoryKind.Usable, KindAt(info, 0x40F00000), "high memory usable");
            t.Equal(-1L, KindAt(info, 0x20000000), "a hole stays a hole");
            t.Equal(0xFD000000UL, info->FramebufferPhysical, "framebuffer address");
            t.Equal(1024L, info->FramebufferWidth, "width");
            t.Equal(768L, info->FramebufferHeight, "height");
            t.Equal(4096L, info->FramebufferPitch, "pitch");
            t.Equal(32L, info->FramebufferBitsPerPixel, "depth");
            t.Equal(16L, info->RedShift, "red shift");
            t.Equal(phys + (ulong)rsdpTag + 8, info->Rsdp, "the RSDP is the tag's copy, as a physical address");
            Heap.Free(info);
            FrameAllocator.Free(phys, 1);
        }

        private static void PvhStartInfo(TestContext t)
        {
            ulong phys = FrameAllocator.Allocate();
            if (!t.True(phys != 0, "a frame")) return;
            byte* b = (byte*)FrameAllocator.ToVirtual(phys);
            Heap.Zero(b, 4096);
            *(uint*)b = 0x336ec578;           // magic
            *(uint*)(b + 4) = 1;              // version: with the memory map
            *(uint*)(b + 12) = 1;             // one module
            *(ulong*)(b + 16) = phys + 0x100; // module list
            *(ulong*)(b + 24) = phys + 0x200; // command line
            *(ulong*)(b + 32) = 0xF59E0;      // RSDP
            *(ulong*)(b + 40) = phys + 0x300; // memory map
            *(uint*)(b + 48) = 2;
            *(ulong*)(b + 0x100) = 0x04000000; *(ulong*)(b + 0x108) = 0x1234;
            Put(b + 0x200, "exit smp=2");
            ulong* e = (ulong*)(b + 0x300);
            e[0] = 0; e[1] = 0x9FC00; e[2] = 1;
            e[3] = 0x100000; e[4] = 0x0FF00000; e[5] = 1;

            BootInfo* info = NewInfo();
            Pvh.Fill(phys, info, FrameAllocator.DirectMapOffset);
            t.Equal((long)BootProtocol.Pvh, (long)info->Protocol, "protocol");
            t.True(CommandLineIs(info, "exit smp=2"), "the command line");
            t.Equal(0xF59E0UL, info->Rsdp, "RSDP");
            t.Equal((long)MemoryKind.Usable, KindAt(info, 0x1000), "low memory usable");
            t.Equal(0x04000000UL, info->ModulePhysical, "module 0's address");
            t.Equal(0x1234UL, info->ModuleSize, "module 0's size");
            t.True(KindAt(info, 0x04000000) != (long)MemoryKind.Usable, "the module is carved out of usable memory");
            Heap.Free(info);

            *(uint*)b = 0x12345678; // a bad magic: nothing read
            BootInfo* bad = NewInfo();
            Pvh.Fill(phys, bad, FrameAllocator.DirectMapOffset);
            t.Equal(0L, bad->RegionCount, "no regions from a start_info with a bad magic");
            t.Equal(0L, bad->CommandLineLength, "no command line");
            Heap.Free(bad);
            FrameAllocator.Free(phys, 1);
        }
    }
}
