using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Molt.Boot;
using Molt.Console;
using Molt.Hal;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// The first managed code on AArch64, called by boot/entry.S at EL1 in
    /// the higher half, on the boot stack (SP_EL0) with FP/SIMD on and the
    /// exception vectors installed (there are no descriptor tables to load).
    /// Steps:
    /// 1. Initialise the runtime (static bases) before anything reads a static object.
    /// 2. Bring up the PL011 at its default address, reached through the loader's direct map.
    /// 3. Translate the hand-off (direct boot with a device tree, or Limine) into a BootInfo;
    ///    the device tree may move the console to another UART, which is recorded
    ///    as an MMIO region so the kernel's page tables keep it mapped.
    /// 4. Hand over to the arch-neutral <see cref="Kernel.Start"/>; it never returns.
    /// </summary>
    internal static unsafe class Entry
    {
        private static BootInfo s_bootInfo;

        [UnmanagedCallersOnly(EntryPoint = "molt_main")]
        private static void Main(uint protocol, ulong info, ulong entryTimestamp)
        {
            bool runtimeOk = Kernel.InitializeRuntime(Layout.ReadyToRunHeader);
            if ((BootProtocol)protocol == BootProtocol.Limine)
                DebugConsole.Relocate(DebugConsole.DefaultPhysical, LimineBoot.DirectMapOffset((LimineRequests*)info));
            DebugConsole.Initialize();
            if (!runtimeOk)
            {
                KernelConsole.Write("PANIC: ReadyToRun header not found; the image is corrupt\n");
                Cpu.HaltForever();
            }

            BootInfo* boot = (BootInfo*)Unsafe.AsPointer(ref s_bootInfo);
            boot->EntryTimestamp = entryTimestamp;
            switch ((BootProtocol)protocol)
            {
                case BootProtocol.Limine:
                    LimineBoot.Fill((LimineRequests*)info, boot);
                    break;
                case BootProtocol.LinuxArm64:
                    DirectBoot.Fill((DirectBoot.State*)info, boot);
                    break;
                default:
                    KernelConsole.Write("PANIC: unknown boot protocol\n");
                    Cpu.HaltForever();
                    break;
            }
            // The console UART, wherever it ended up, stays mapped in the kernel's own tables.
            boot->AddRegion(DebugConsole.Physical & ~0xFFFUL, 0x1000, MemoryKind.Mmio);
            Kernel.Start(boot);
            Cpu.HaltForever();
        }
    }
}
