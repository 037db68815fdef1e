using Molt.Boot;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;
using Molt.Time;

namespace Molt
{
    /// <summary>
    /// The arch-neutral kernel. The arch entry code (hal-*/Entry.cs) calls
    /// <see cref="InitializeRuntime"/> first, then fills a <see cref="BootInfo"/>
    /// and calls <see cref="Start"/>.
    ///
    /// Boot steps, in order (each depends on the one before):
    /// 1. Runtime: static bases allocated from the heap's bootstrap arena.
    /// 2. Clock: the timestamp counter's frequency, so logs carry times.
    /// 3. Symbols: the embedded symbol table, so panics from here on are symbolized.
    /// 4. Frames: the physical frame allocator from the boot memory map; the heap grows from it,
    ///    and the interface-dispatch cache is allocated from it.
    /// 5. Paging: the kernel's own page tables (W^X sections, direct map of RAM).
    /// 6. CPUs: interrupt controllers, the tick, the scheduler, every CPU online.
    /// 7. Mode: run the tests (<c>test</c>), the benchmarks (<c>bench</c>) (both only in the test kernel, molt-test.elf), a deliberate fault (<c>fault=</c>), or the kernel proper.
    /// </summary>
    public static unsafe class Kernel
    {
        /// <summary>When set, a panic leaves the emulator with a failing status instead of halting.</summary>
        public static bool ExitOnPanic;

        private static BootInfo* s_boot;
        public static BootInfo* Boot => s_boot;
        public static CommandLine CommandLine => new CommandLine(s_boot->CommandLine, s_boot->CommandLineLength);

        /// <summary>Step 1. Returns false when the module header is not where the linker put it.</summary>
        public static bool InitializeRuntime(void* readyToRunHeader)
        {
            return Internal.Runtime.CompilerHelpers.StartupCodeHelpers.InitializeModule(readyToRunHeader) >= 0;
        }

        public static void Start(BootInfo* boot)
        {
            s_boot = boot;
            var cmd = CommandLine;
            ExitOnPanic = cmd.Has("test") || cmd.Has("fault") || cmd.Has("bench") || cmd.Has("exit-on-panic");
            // halt-on-panic keeps the machine up after a panic (to read the screen), whatever the mode.
            if (cmd.Has("halt-on-panic")) ExitOnPanic = false;
            bool screenEarly = AttachScreenEarly(boot);

            Clock.Start(boot->EntryTimestamp, Timestamp.MeasureFrequency());
            KernelConsole.Write("\nMolt ");
            KernelConsole.Write(Cpu.ArchName());
            KernelConsole.Write(" booting\n");
            Log.Info("boot", $"protocol {ProtocolName(boot->Protocol)}, timestamp {Clock.FrequencyHz / 1000} kHz");
            Log.Info("boot", $"command line: \"{new AsciiText(boot->CommandLine, boot->CommandLineLength)}\"");
            Options.Check(cmd);
            if (boot->Protocol == BootProtocol.Limine)
            {
                // Limine 8.x runs base revision 2 when asked for 3; say which one is in force.
                var loader = new AsciiText(boot->LoaderName, boot->LoaderNameLength);
                if (boot->BaseRevision >= 0)
                    Log.Info("boot", $"loader \"{loader}\", base revision {boot->BaseRevision} (asked {boot->BaseRevisionAsked})");
                else
                    Log.Info("boot", $"loader \"{loader}\", base revision {boot->BaseRevisionAsked} not supported: an older one is in force");
            }
            if (boot->Rsdp != 0) Log.Info("boot", $"ACPI RSDP at physical {boot->Rsdp:x}");
            if (boot->ModuleSize != 0) Log.Info("boot", $"boot module at physical {boot->ModulePhysical:x}, {boot->ModuleSize} bytes");

            if (!Symbols.Attach(Layout.SymbolTable, Layout.KernelStart, Layout.KernelEnd))
                Log.Warn("boot", $"no symbol table: backtraces show addresses only");
            else
            {
                Log.Info("boot", $"{Symbols.Count} symbols, {Symbols.ExportCount} exports");
                Log.Info("boot", $"build id {Symbols.BuildId}");
            }

            if (!FrameAllocator.Initialize(boot))
                Panic.Fail("no usable memory region can hold the frame bitmap");
            Heap.AttachFrameAllocator();
            // The interface-dispatch cache: until it exists every interface call walks dispatch maps.
            int cacheBytes = Internal.Runtime.InterfaceDispatch.CacheBytes;
            Internal.Runtime.InterfaceDispatch.Initialize(Heap.AllocateOrPanic((uint)cacheBytes), cacheBytes);
            Log.Info("mem", $"{boot->RegionCount} regions, {FrameAllocator.TotalFrames * 4 / 1024} MiB usable, {FrameAllocator.FreeFrames} frames free");

            KernelAddressSpace.Build(boot);
            Platform.PrepareScreen(boot);
            if (boot->FramebufferPhysical != 0)
            {
                if (!screenEarly) FramebufferConsole.Attach(boot, boot->DirectMapOffset + boot->FramebufferPhysical);
                Log.Info("screen", $"{boot->FramebufferWidth}x{boot->FramebufferHeight}, {boot->FramebufferBitsPerPixel} bits per pixel at physical {boot->FramebufferPhysical:x}: {FramebufferConsole.Columns}x{FramebufferConsole.Rows} text");
            }
            Smp.Processors.BringUp(cmd);
            Threading.WorkQueue.Start();
            // Kernel.cs is the composition root: the only kernel file that names update/.
            // Design (a) of the object tables (a per-CPU window at a fixed address)
            // unless the command line asks for (b) with ltt=block; see docs/dynamic-update.md.
            Update.Objects.Initialize(!cmd.ValueIs("ltt", "block"));

            // ---- devices (branch netdev): PCI discovery and virtio-net, before any mode runs ----
            Drivers.DeviceStartup.Run(cmd);
            // ---- end devices ----

            // Services above the update core, then patches delivered with the
            // kernel (patch.apply=MS; docs/patching.md).
            Services.Kv.KvService.Start();
            Update.Patching.BootPatches.Start(boot, ref cmd);

            if (cmd.Has("fault")) { Faults.Trigger(cmd); return; }
#if MOLT_TESTS
            if (cmd.Has("test"))
            {
                int failed = Testing.TestRunner.RunAll(cmd);
                int stuck = Smp.Processors.StopOthers();
                if (stuck == 0) Log.Info("smp", $"all other CPUs stopped");
                else Log.Warn("smp", $"{stuck} CPUs did not stop");
                Emulator.Exit(failed == 0 && stuck == 0 ? 0 : 1);
                Cpu.HaltForever();
            }
            if (cmd.Has("bench"))
            {
                Bench.BenchRunner.RunAll(cmd);
                int stuck = Smp.Processors.StopOthers();
                if (stuck != 0) Log.Warn("smp", $"{stuck} CPUs did not stop");
                Emulator.Exit(stuck == 0 ? 0 : 1);
                Cpu.HaltForever();
            }
#else
            // The release kernel (molt.elf) has no tests or benchmarks: they are in molt-test.elf.
            if (cmd.Has("test") || cmd.Has("bench"))
                Panic.Fail("this is the release kernel: the tests and benchmarks are in molt-test.elf");
#endif

            // ---- network stack: the stack, the KV service and the update daemon on the NIC the driver found (config: ip=, gw=, kv.port=, update.port=) ----
            if (Net.NetDevices.First != null)
            {
                Net.NetConfig net = Net.NetStack.ConfigFromCommandLine();
                Net.NetStack stack = Net.NetStack.Start(Net.NetDevices.First, net);
                if (stack != null && net.KvPort > 0) Services.Kv.KvHttp.Start(stack, (ushort)net.KvPort, net.KvWorkers, net.KvRequestTimeoutSeconds);
                ulong updatePort = Update.Daemon.UpdateDaemon.DefaultPort, maxBundle = Update.Daemon.UpdateDaemon.DefaultMaxBundle;
                if (cmd.TryGetNumber("update.port", out ulong p)) updatePort = p;
                if (cmd.TryGetNumber("update.max_bundle", out ulong m)) maxBundle = m;
                if (stack != null && updatePort > 0) Update.Daemon.UpdateDaemon.Start(stack, (int)updatePort, (int)maxBundle);
            }
            // ---- end network stack ----

            ulong ms = Clock.NanosecondsSinceBoot() / 1_000_000;
            Log.Info("boot", $"Molt ready in {ms} ms");
            KernelConsole.Write("Molt ready\n");
            Heap.WriteStats();
            if (cmd.Has("exit"))
            {
                // Boot bundles still being applied finish first, so their outcome is logged.
                while (!Update.Patching.BootPatches.Done) Threading.Scheduler.Sleep(1_000_000);
                Emulator.Exit(0);
            }
            while (true) Cpu.WaitForInterrupt();
        }

        /// <summary>
        /// Puts the log on screen from the first line when the loader's
        /// mapping already covers the framebuffer: Limine's HHDM does, and so
        /// does the early 4 GiB direct map of PVH and Multiboot2 for a
        /// framebuffer below 4 GiB. Otherwise the screen starts once the
        /// kernel's own page tables map it.
        /// </summary>
        private static bool AttachScreenEarly(BootInfo* boot)
        {
            if (boot->FramebufferPhysical == 0) return false;
            bool mapped = boot->Protocol == BootProtocol.Limine
                       || boot->FramebufferPhysical + boot->FramebufferBytes <= 4UL << 30;
            return mapped && FramebufferConsole.Attach(boot, boot->DirectMapOffset + boot->FramebufferPhysical);
        }

        private static string ProtocolName(BootProtocol p)
        {
            switch (p)
            {
                case BootProtocol.Limine: return "limine";
                case BootProtocol.Pvh: return "pvh";
                case BootProtocol.Multiboot2: return "multiboot2";
                case BootProtocol.LinuxArm64: return "linux-arm64";
                default: return "unknown";
            }
        }
    }
}
