using System.Runtime.InteropServices;
using Molt.Boot;
using Molt.Console;
using Molt.Hal;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// The direct hand-off: QEMU -kernel (or any loader using the arm64 Linux
    /// Image protocol) started boot/entry.S with the MMU off. The stub mapped
    /// a 4 GiB window of physical memory at <see cref="EarlyDirectMap"/> and
    /// left what it learnt in <see cref="State"/>. Everything else comes from
    /// the device tree:
    /// <list type="number">
    /// <item>x0 at entry is the DTB (Image protocol). For an ELF, QEMU passes
    ///       nothing and puts the DTB at the start of RAM instead, which is the
    ///       start of the window: probe there.</item>
    /// <item>The DTB must lie inside the window (nothing else is mapped yet)
    ///       and pass <see cref="DeviceTree.Open"/>; otherwise the reason is
    ///       logged and the boot goes on without a memory map, which panics
    ///       with "no usable memory region".</item>
    /// <item>Memory, reservations, the command line and the console come from
    ///       <see cref="DeviceTreeBoot"/>; the kernel image is carved out last.</item>
    /// </list>
    /// </summary>
    internal static unsafe class DirectBoot
    {
        public const ulong EarlyDirectMap = 0xFFFF800000000000;

        /// <summary>Mirror of boot_state in boot/entry.S.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct State
        {
            public ulong DeviceTree;
            public ulong KernelPhysical;
            public ulong WindowBase;
            public ulong WindowSize;
            public ulong EntryLevel;
        }

        public static void Fill(State* s, BootInfo* info)
        {
            info->Protocol = BootProtocol.LinuxArm64;
            info->DirectMapOffset = EarlyDirectMap;
            info->KernelPhysicalBase = s->KernelPhysical;
            info->KernelVirtualBase = Layout.KernelStart;
            info->SetCommandLine(null);

            ulong windowEnd = s->WindowBase + s->WindowSize;
            ulong dtb = s->DeviceTree;
            if (dtb == 0 && DeviceTree.HasMagic((byte*)(s->WindowBase + EarlyDirectMap)))
                dtb = s->WindowBase;
            string error;
            DeviceTree tree = default;
            if (dtb == 0) error = "no device tree (x0 was 0 and none at the start of RAM)";
            else if (dtb < s->WindowBase || dtb >= windowEnd) error = "device tree outside the early mapped window";
            else error = DeviceTree.Open((byte*)(dtb + EarlyDirectMap), windowEnd - dtb, out tree);
            if (error != null)
            {
                Log.Warn("boot", $"{error} (at {dtb:x}); no memory map");
                return;
            }
            ulong console = DeviceTreeBoot.Fill(ref tree, dtb, info, DeviceTreeParts.Everything);
            info->MarkKernel();
            if (console != 0)
                DebugConsole.Relocate(console, EarlyDirectMap);
            Log.Info("boot", $"device tree at {dtb:x} ({tree.TotalSize} bytes){(s->DeviceTree == 0 ? ", found at the start of RAM" : "")}, console PL011 at {DebugConsole.Physical:x}");
            if (s->EntryLevel != 1)
                Log.Info("boot", $"entered at EL{s->EntryLevel}, running at EL{Native.ReadCurrentEl()}");
        }
    }

    /// <summary>
    /// The Limine hand-off on AArch64 (base revision 6): the arch-neutral
    /// <see cref="Limine.Fill"/> reads memory map, HHDM, kernel addresses and
    /// command line. UEFI's memory map does not describe the console UART, so:
    /// <list type="number">
    /// <item>The device tree from Limine's DTB response, if any, names it.</item>
    /// <item>Else (UEFI with ACPI passes no device tree) ACPI's SPCR does, once
    ///       <see cref="Machine.Discover"/> has read it: after the kernel's own
    ///       page tables are up, so no ACPI table is read through Limine's
    ///       HHDM (which, from base revision 3, leaves ACPI memory out).</item>
    /// <item>Else the console stays at the default PL011 address.</item>
    /// </list>
    /// Until then the console is the default PL011 through Limine's HHDM.
    /// Tried with Limine 8.2 under AAVMF, which uses an older revision and
    /// enters at EL1; a revision-6 entry at EL2 with VHE is untested.
    /// </summary>
    internal static unsafe class LimineBoot
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct HhdmResponse { public ulong Revision; public ulong Offset; }

        public static ulong DirectMapOffset(LimineRequests* r)
        {
            var hhdm = (HhdmResponse*)r->Hhdm.Response;
            return hhdm != null ? hhdm->Offset : 0;
        }

        public static void Fill(LimineRequests* r, BootInfo* info)
        {
            if (Limine.LoadedRevision(r, 6) < 0)
                Log.Warn("boot", $"the loader does not support Limine base revision 6; it used an older one");
            Limine.Fill(r, info);
            if (Native.ReadCurrentEl() != 1)
                Log.Info("boot", $"running at EL{Native.ReadCurrentEl()} (VHE)");
            if (info->DeviceTree != 0)
            {
                DeviceTree tree;
                string error = DeviceTree.Open((byte*)(info->DeviceTree + info->DirectMapOffset), 64 * 1024 * 1024, out tree);
                if (error == null)
                {
                    ulong console = DeviceTreeBoot.Fill(ref tree, info->DeviceTree, info, DeviceTreeParts.ConsoleOnly);
                    if (console != 0)
                        DebugConsole.Relocate(console, info->DirectMapOffset);
                    Log.Info("boot", $"device tree at {info->DeviceTree:x} ({tree.TotalSize} bytes), console PL011 at {DebugConsole.Physical:x}");
                    return;
                }
                Log.Warn("boot", $"{error}: the device tree is not used");
                info->DeviceTree = 0;
            }
            if (info->Rsdp != 0)
                Log.Info("boot", $"no device tree from the loader; console at {DebugConsole.Physical:x} until ACPI's SPCR is read");
            else
                Log.Warn("boot", $"no device tree and no ACPI from the loader; console stays at {DebugConsole.Physical:x}");
        }
    }
}
