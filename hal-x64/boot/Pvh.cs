using System.Runtime.InteropServices;
using Molt.Boot;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The PVH hand-off (QEMU -kernel with the XEN_ELFNOTE_PHYS32_ENTRY note):
    /// EBX pointed at hvm_start_info. Version 1 carries the e820 memory map.
    /// boot/entry.S mapped the first 4 GiB at <see cref="EarlyDirectMap"/>.
    /// </summary>
    internal static unsafe class Pvh
    {
        public const ulong EarlyDirectMap = 0xFFFF800000000000;
        private const uint StartInfoMagic = 0x336ec578;

        [StructLayout(LayoutKind.Sequential)]
        private struct StartInfo
        {
            public uint Magic;
            public uint Version;
            public uint Flags;
            public uint ModuleCount;
            public ulong ModuleListAddress;
            public ulong CommandLineAddress;
            public ulong RsdpAddress;
            public ulong MemoryMapAddress;
            public uint MemoryMapEntries;
            public uint Reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct MemoryMapEntry
        {
            public ulong Address;
            public ulong Size;
            public uint Type;
            public uint Reserved;
        }

        public static void Fill(ulong startInfoPhysical, BootInfo* info)
        {
            info->Protocol = BootProtocol.Pvh;
            info->DirectMapOffset = EarlyDirectMap;
            info->KernelPhysicalBase = LoadAddress.KernelPhysicalBase;
            info->KernelVirtualBase = Hal.Layout.KernelStart;
            var si = (StartInfo*)(startInfoPhysical + EarlyDirectMap);
            if (si->Magic != StartInfoMagic)
            {
                Console.Log.Warn("boot", $"PVH start_info magic is {si->Magic:x8}, expected {StartInfoMagic:x8}");
                return;
            }
            info->SetCommandLine(si->CommandLineAddress != 0 ? (byte*)(si->CommandLineAddress + EarlyDirectMap) : null);
            info->Rsdp = si->RsdpAddress;
            if (si->Version >= 1 && si->MemoryMapAddress != 0)
            {
                var map = (MemoryMapEntry*)(si->MemoryMapAddress + EarlyDirectMap);
                for (uint i = 0; i < si->MemoryMapEntries; i++)
                    info->AddRegion(map[i].Address, map[i].Size, E820.Kind(map[i].Type));
            }
            info->MarkKernel();
            // hvm_modlist_entry {u64 paddr, size, cmdline_paddr, reserved}: QEMU's -initrd is module 0.
            // Carved after the memory map exists, so the carve has regions to cut.
            if (si->ModuleCount > 0 && si->ModuleListAddress != 0)
            {
                var module = (ulong*)(si->ModuleListAddress + EarlyDirectMap);
                info->SetModule(module[0], module[1]);
            }
        }
    }

    /// <summary>e820 memory types, shared by the PVH and Multiboot2 paths.</summary>
    internal static unsafe class E820
    {
        public static MemoryKind Kind(uint type)
        {
            switch (type)
            {
                case 1: return MemoryKind.Usable;
                case 3: return MemoryKind.AcpiReclaimable;
                case 4: return MemoryKind.AcpiNvs;
                case 5: return MemoryKind.Bad;
                default: return MemoryKind.Reserved;
            }
        }
    }

    /// <summary>The physical load address the linker script gives the kernel when no loader relocates it.</summary>
    internal static class LoadAddress
    {
        public const ulong KernelOffset = 0xFFFFFFFF80000000;
        public static ulong KernelPhysicalBase => Hal.Layout.KernelStart - KernelOffset;
    }
}
