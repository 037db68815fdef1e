using Molt.Boot;
using Molt.Console;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// QEMU's ramfb display (<c>-device ramfb</c>) on the virt machine: a
    /// framebuffer in guest RAM whose address and format the guest writes to
    /// the fw_cfg file "etc/ramfb". UEFI firmware does this for Limine; on a
    /// direct boot (device tree) the kernel does it here, so the screen console
    /// works on arm64 too.
    ///
    /// Protocol (QEMU docs/specs/fw_cfg.rst, hw/display/ramfb.c):
    /// 1. The device tree's "qemu,fw-cfg-mmio" node gives the registers;
    ///    they are mapped as Device memory.
    /// 2. Every access is a DMA transfer: a control block {control, length,
    ///    address} (big-endian) in RAM, whose physical address is written to the
    ///    64-bit big-endian DMA register (offset 16); QEMU clears control when done,
    ///    or leaves the error bit.
    /// 3. Select the file directory (key 0x19) and read it: a big-endian count,
    ///    then 64-byte entries {size, select, reserved, name[56]}.
    /// 4. Without "etc/ramfb" (no such device) nothing changes. Else allocate
    ///    the pixels, write the 28-byte RAMFBCfg {address, fourcc XR24, flags,
    ///    width, height, stride} to it, and record the framebuffer in BootInfo.
    /// </summary>
    internal static unsafe class Ramfb
    {
        private const uint Width = 1024, Height = 768, Bpp = 32;
        private const ulong DmaRegister = 16;
        private const uint ControlError = 1, ControlRead = 2, ControlSelect = 8, ControlWrite = 0x10;
        private const ushort FileDirectory = 0x19;
        private const uint XRgb8888 = 0x34325258; // DRM fourcc "XR24"

        private struct DmaAccess { public uint Control, Length; public ulong Address; }

        public static void Enable(BootInfo* boot)
        {
            if (boot->DeviceTree == 0) return;
            DeviceTree tree;
            if (DeviceTree.Open((byte*)(boot->DeviceTree + boot->DirectMapOffset), 64 * 1024 * 1024, out tree) != null) return;
            ulong fwcfg = ArmMachineTree.FwCfgBase(ref tree);
            if (fwcfg == 0) return;
            void* registers = KernelAddressSpace.MapPhysical(fwcfg & ~0xFFFUL, 0x1000, PageAccess.Read | PageAccess.Write | PageAccess.Device);
            if (registers == null) return;
            ulong dmaRegister = (ulong)registers + (fwcfg & 0xFFF) + DmaRegister;

            // One frame: the DMA block at 0, RAMFBCfg at 64, then room for 62 directory entries.
            ulong scratch = FrameAllocator.AllocateContiguous(2);
            if (scratch == 0) return;
            byte* s = (byte*)FrameAllocator.ToVirtual(scratch);
            ushort select = 0;
            uint count = 0;
            if (Transfer(dmaRegister, scratch, (uint)FileDirectory << 16 | ControlSelect | ControlRead, 4, scratch + 128))
            {
                count = Swap(*(uint*)(s + 128));
                if (count > (8192 - 132) / 64) count = (8192 - 132) / 64;
                if (Transfer(dmaRegister, scratch, ControlRead, count * 64, scratch + 132))
                    for (uint i = 0; i < count && select == 0; i++)
                    {
                        byte* entry = s + 132 + i * 64;
                        if (NameIs(entry + 8, "etc/ramfb")) select = (ushort)(entry[4] << 8 | entry[5]);
                    }
            }
            if (select == 0) { FrameAllocator.Free(scratch, 2); return; }

            ulong bytes = (ulong)Width * Height * (Bpp / 8);
            ulong pixels = FrameAllocator.AllocateContiguous(bytes / 4096);
            if (pixels == 0) { Log.Warn("screen", $"no memory for the ramfb framebuffer"); FrameAllocator.Free(scratch, 2); return; }
            Heap.Zero((byte*)FrameAllocator.ToVirtual(pixels), (uint)bytes);
            byte* cfg = s + 64;
            *(ulong*)cfg = Swap64(pixels);
            *(uint*)(cfg + 8) = Swap(XRgb8888);
            *(uint*)(cfg + 12) = 0;
            *(uint*)(cfg + 16) = Swap(Width);
            *(uint*)(cfg + 20) = Swap(Height);
            *(uint*)(cfg + 24) = Swap(Width * (Bpp / 8));
            if (!Transfer(dmaRegister, scratch, (uint)select << 16 | ControlSelect | ControlWrite, 28, scratch + 64))
            {
                Log.Warn("screen", $"fw_cfg refused the ramfb configuration");
                FrameAllocator.Free(pixels, bytes / 4096);
                FrameAllocator.Free(scratch, 2);
                return;
            }
            FrameAllocator.Free(scratch, 2);
            boot->SetFramebuffer(pixels, Width, Height, Width * (Bpp / 8), Bpp, 16, 8, 8, 8, 0, 8);
            Log.Info("screen", $"ramfb through fw_cfg at {fwcfg:x}");
        }

        /// <summary>Step 2: one DMA transfer described by the block at <paramref name="block"/>; false on an error or no answer.</summary>
        private static bool Transfer(ulong dmaRegister, ulong block, uint control, uint length, ulong address)
        {
            var d = (DmaAccess*)FrameAllocator.ToVirtual(block);
            d->Control = Swap(control);
            d->Length = Swap(length);
            d->Address = Swap64(address);
            Native.StoreBarrier();
            Mmio.Write64(dmaRegister, Swap64(block));
            for (int i = 0; i < 1_000_000; i++)
            {
                uint c = Swap((uint)System.Threading.Volatile.Read(in *(int*)&d->Control));
                if ((c & ControlError) != 0) return false;
                if (c == 0) return true;
                Hal.Cpu.Relax();
            }
            return false;
        }

        private static bool NameIs(byte* name, string expected)
        {
            for (int i = 0; i < expected.Length; i++) if (name[i] != expected[i]) return false;
            return name[expected.Length] == 0;
        }

        private static uint Swap(uint v) => (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
        private static ulong Swap64(ulong v) => (ulong)Swap((uint)v) << 32 | Swap((uint)(v >> 32));
    }
}
