using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Molt.Boot;
using Molt.Console;
using Molt.Hal;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The first managed code on x86-64, called by boot/entry.S on the boot
    /// stack with SSE enabled. Steps:
    /// 1. Initialise the runtime (static bases) before anything reads a static object.
    /// 2. Bring up COM1 and the descriptor tables, so faults are reported from here on.
    /// 3. Translate the loader's hand-off (Limine, PVH or Multiboot2) into a BootInfo.
    /// 4. Hand over to the arch-neutral <see cref="Kernel.Start"/>; it never returns.
    /// </summary>
    internal static unsafe class Entry
    {
        private static BootInfo s_bootInfo;

        [UnmanagedCallersOnly(EntryPoint = "molt_main")]
        private static void Main(uint protocol, ulong info, ulong entryTimestamp)
        {
            bool runtimeOk = Kernel.InitializeRuntime(Layout.ReadyToRunHeader);
            DebugConsole.Initialize();
            if (!runtimeOk)
            {
                KernelConsole.Write("PANIC: ReadyToRun header not found; the image is corrupt\n");
                Cpu.HaltForever();
            }
            DescriptorTables.Initialize();

            BootInfo* boot = (BootInfo*)Unsafe.AsPointer(ref s_bootInfo);
            boot->EntryTimestamp = entryTimestamp;
            switch ((BootProtocol)protocol)
            {
                case BootProtocol.Limine:
                    Limine.Fill((LimineRequests*)info, boot);
                    break;
                case BootProtocol.Pvh:
                    Pvh.Fill(info, boot);
                    break;
                case BootProtocol.Multiboot2:
                    Multiboot2.Fill(info, boot);
                    break;
                default:
                    KernelConsole.Write("PANIC: unknown boot protocol\n");
                    Cpu.HaltForever();
                    break;
            }
            Kernel.Start(boot);
            Cpu.HaltForever();
        }
    }
}
