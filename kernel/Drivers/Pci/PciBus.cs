using System;
using Molt.Acpi;
using Molt.Boot;
using Molt.Console;
using Molt.Firmware;
using Molt.Hal;
using Molt.Memory;

namespace Molt.Drivers.Pci
{
    /// <summary>
    /// PCI(e) discovery through ECAM only, arch-neutral.
    ///
    /// Steps of <see cref="Scan"/>:
    /// 1. Find the host bridge: the device tree's pci-host-ecam-generic node
    ///    when the boot handed a device tree (AArch64 virt), else ACPI's MCFG
    ///    (x86-64 q35, AArch64 under UEFI). Both give a <see cref="PciHostBridge"/>.
    /// 2. Walk bus <c>StartBus</c>: every device's function 0, and functions
    ///    1-7 when function 0's header says multi-function. A bus's 1 MiB of
    ///    configuration space is mapped (device memory) when first walked, so
    ///    a 256-bus ECAM costs page tables only for the buses that exist.
    ///    Bridges whose secondary bus firmware configured are followed
    ///    (bounded by the bus range; bus numbers are never assigned here).
    /// 3. Size every BAR (decoding off while all ones are written), and give
    ///    an unassigned memory BAR an address from the bridge's 32-bit window
    ///    (64-bit prefetchable BARs from the 64-bit window when there is one):
    ///    firmware assigns them under ACPI, nobody does on a bare device tree boot.
    /// Decoding and bus mastering stay as firmware left them; a driver turns
    /// them on (<see cref="PciFunction.EnableMemoryAndBusMaster"/>).
    /// The registry holds at most <see cref="MaxFunctions"/> functions, kept for
    /// the kernel's life. Scan runs once, on the boot CPU, before drivers start.
    /// </summary>
    public static unsafe class PciBus
    {
        public const int MaxFunctions = 64;

        private static PciFunction[] s_functions;
        private static int s_count;
        private static PciHostBridge s_host;
        private static bool s_scanned, s_present;
        private static ulong s_ecamVirtual;
        private static ulong s_next32, s_next64;
        private struct MappedBuses { public fixed ulong Bits[4]; }
        private static MappedBuses s_mapped;

        public static int Count => s_count;
        public static bool Present => s_present;
        public static PciFunction Get(int i) => (uint)i < (uint)s_count ? s_functions[i] : null;
        public static ref PciHostBridge Host => ref s_host;

        /// <summary>The <paramref name="index"/>-th function with these ids, or null.</summary>
        public static PciFunction Find(ushort vendor, ushort device, int index = 0)
        {
            for (int i = 0; i < s_count; i++)
                if (s_functions[i].VendorId == vendor && s_functions[i].DeviceId == device && index-- == 0) return s_functions[i];
            return null;
        }

        /// <summary>Steps 1-3; logs each function. Returns how many functions were found (0 without a host bridge).</summary>
        public static int Scan()
        {
            if (s_scanned) return s_count;
            s_scanned = true;
            s_functions = new PciFunction[MaxFunctions];
            string source;
            if (!FindHost(out source)) return 0;
            s_present = true;
            s_ecamVirtual = Kernel.Boot->DirectMapOffset + s_host.Ecam.Base;
            Log.Info("pci", $"ECAM at {s_host.Ecam.Base:x}, buses {(int)s_host.Ecam.StartBus}-{(int)s_host.Ecam.EndBus}, segment {(int)s_host.Ecam.Segment} (from {source})");
            if (s_host.Mem32.Present) Log.Info("pci", $"32-bit window {s_host.Mem32.CpuBase:x} size {s_host.Mem32.Size:x}; {s_host.RouteCount} INTx routes");
            s_next32 = s_host.Mem32.PciBase;
            s_next64 = s_host.Mem64.PciBase;
            ScanBus(s_host.Ecam.StartBus, 0);
            for (int i = 0; i < s_count; i++)
            {
                PciFunction f = s_functions[i];
                Log.Info("pci", $"{(int)f.Bus:x2}:{(int)f.Device:x2}.{(int)f.Function} {(int)f.VendorId:x4}:{(int)f.DeviceId:x4} {f.Name}");
            }
            return s_count;
        }

        private static bool FindHost(out string source)
        {
            source = null;
            BootInfo* boot = Kernel.Boot;
            if (boot->DeviceTree != 0)
            {
                DeviceTree tree;
                string error = DeviceTree.Open((byte*)(boot->DeviceTree + boot->DirectMapOffset), 64 * 1024 * 1024, out tree);
                if (error == null)
                {
                    error = PciHostDeviceTree.Parse(ref tree, out s_host);
                    if (error == null) { source = "the device tree"; return true; }
                    Log.Warn("pci", $"device tree: {error} (byte {s_host.ErrorOffset}); trying ACPI");
                }
            }
            AcpiHeader* mcfg = AcpiFirmware.Find("MCFG");
            if (mcfg == null)
            {
                Log.Info("pci", $"no PCI host bridge: neither a pci-host-ecam-generic node nor an ACPI MCFG");
                return false;
            }
            EcamRegion region = default;
            int count, skipped;
            string why = McfgTable.Parse(new ReadOnlySpan<byte>(mcfg, (int)mcfg->Length), new Span<EcamRegion>(&region, 1), out count, out skipped);
            if (why != null || count == 0)
            {
                Log.Warn("pci", $"MCFG unusable: {(why ?? "no valid entry")}");
                return false;
            }
            if (skipped != 0) Log.Warn("pci", $"MCFG: {skipped} entries skipped (malformed, or segments past the first)");
            s_host = default;
            s_host.Ecam = region;
            source = "ACPI MCFG";
            return true;
        }

        /// <summary>Maps bus <paramref name="bus"/>'s 1 MiB of configuration space once; false when out of page-table memory.</summary>
        private static bool MapBus(int bus)
        {
            if ((s_mapped.Bits[bus >> 6] & (1UL << (bus & 63))) != 0) return true;
            ulong phys = s_host.Ecam.Base + ((ulong)(bus - s_host.Ecam.StartBus) << 20);
            if (KernelAddressSpace.MapPhysical(phys, 1UL << 20, PageAccess.Read | PageAccess.Write | PageAccess.Device) == null)
            {
                Log.Warn("pci", $"cannot map the configuration space of bus {bus}");
                return false;
            }
            s_mapped.Bits[bus >> 6] |= 1UL << (bus & 63);
            return true;
        }

        /// <summary>The virtual address of a function's configuration space (its bus must be mapped).</summary>
        public static ulong ConfigAddress(int bus, int device, int function)
            => s_ecamVirtual + ((ulong)(bus - s_host.Ecam.StartBus) << 20) + ((ulong)device << 15) + ((ulong)function << 12);

        private static void ScanBus(int bus, int depth)
        {
            if (bus < s_host.Ecam.StartBus || bus > s_host.Ecam.EndBus || depth > 8 || !MapBus(bus)) return;
            for (int device = 0; device < 32; device++)
            {
                ulong cfg = ConfigAddress(bus, device, 0);
                if (DeviceAccess.Read16(cfg) == 0xFFFF) continue;
                bool multi = (DeviceAccess.Read8(cfg + 0x0E) & 0x80) != 0;
                for (int function = 0; function < (multi ? 8 : 1); function++)
                {
                    cfg = ConfigAddress(bus, device, function);
                    if (DeviceAccess.Read16(cfg) == 0xFFFF) continue;
                    PciFunction f = Add(bus, device, function, cfg);
                    if (f == null) return;
                    if (f.IsBridge)
                    {
                        int secondary = f.Read8(0x19);
                        if (secondary > bus) ScanBus(secondary, depth + 1);
                    }
                }
            }
        }

        private static PciFunction Add(int bus, int device, int function, ulong cfg)
        {
            if (s_count >= MaxFunctions)
            {
                Log.Warn("pci", $"more than {MaxFunctions} functions; the rest are ignored");
                return null;
            }
            var f = new PciFunction();
            f.Bus = (byte)bus; f.Device = (byte)device; f.Function = (byte)function;
            f.ConfigBase = cfg;
            uint id = f.Read32(0x00);
            f.VendorId = (ushort)id; f.DeviceId = (ushort)(id >> 16);
            uint cls = f.Read32(0x08);
            f.Revision = (byte)cls; f.ProgIf = (byte)(cls >> 8); f.Subclass = (byte)(cls >> 16); f.ClassCode = (byte)(cls >> 24);
            f.HeaderType = f.Read8(0x0E);
            if ((f.HeaderType & 0x7F) == 0)
            {
                f.SubsystemVendorId = f.Read16(0x2C);
                f.SubsystemId = f.Read16(0x2E);
            }
            f.InterruptPin = f.Read8(0x3D);
            ProbeBars(f);
            s_functions[s_count++] = f;
            return f;
        }

        /// <summary>Step 3 for one function.</summary>
        private static void ProbeBars(PciFunction f)
        {
            int n = f.BarCount;
            if (n == 0) return;
            ushort command = f.Command;
            f.Command = (ushort)(command & ~(PciFunction.CommandIo | PciFunction.CommandMemory));
            for (int i = 0; i < n; i++)
            {
                int reg = 0x10 + 4 * i;
                uint low = f.Read32(reg);
                PciBarKind kind = PciBar.KindOf(low);
                if (kind == PciBarKind.None) continue;
                bool is64 = kind == PciBarKind.Memory64 && i + 1 < n;
                if (kind == PciBarKind.Memory64 && !is64) continue; // a 64-bit BAR in the last slot is malformed
                uint high = is64 ? f.Read32(reg + 4) : 0;
                f.Write32(reg, 0xFFFFFFFF);
                uint sizedLow = f.Read32(reg);
                uint sizedHigh = 0;
                if (is64) { f.Write32(reg + 4, 0xFFFFFFFF); sizedHigh = f.Read32(reg + 4); }
                f.Write32(reg, low);
                if (is64) f.Write32(reg + 4, high);
                ulong size = PciBar.Size(sizedLow, sizedHigh, kind);
                if (size == 0) { if (is64) i++; continue; }
                ulong bus = PciBar.Address(low, high, kind);
                bool prefetch = PciBar.IsPrefetchable(low);
                if (kind != PciBarKind.Io && bus == 0) bus = Assign(f, i, size, is64, prefetch);
                ulong cpu = bus == 0 ? 0 : ToCpu(bus, kind);
                f.SetBar(i, kind, bus, cpu, size, prefetch);
                if (is64) i++;
            }
            f.Command = command;
        }

        /// <summary>Places an unassigned memory BAR in the host bridge's window; returns its bus address, or 0 when it does not fit.</summary>
        private static ulong Assign(PciFunction f, int index, ulong size, bool is64, bool prefetch)
        {
            if (!PciBar.IsPowerOfTwo(size)) return 0;
            if (size < 4096) size = 4096; // keep every BAR on its own page, so mappings never share one
            ulong at;
            if (is64 && prefetch && s_host.Mem64.Present)
            {
                at = PciBar.AlignUp(s_next64, size);
                if (at + size > s_host.Mem64.PciBase + s_host.Mem64.Size) return 0;
                s_next64 = at + size;
            }
            else if (s_host.Mem32.Present)
            {
                at = PciBar.AlignUp(s_next32, size);
                if (at + size > s_host.Mem32.PciBase + s_host.Mem32.Size || (at + size) >> 32 != 0) return 0;
                s_next32 = at + size;
            }
            else return 0;
            int reg = 0x10 + 4 * index;
            f.Write32(reg, (uint)at | (f.Read32(reg) & 0xF));
            if (is64) f.Write32(reg + 4, (uint)(at >> 32));
            return at;
        }

        private static ulong ToCpu(ulong bus, PciBarKind kind)
        {
            if (kind == PciBarKind.Io) return 0; // port I/O BARs are not used through ECAM-only access
            if (Inside(ref s_host.Mem32, bus)) return bus - s_host.Mem32.PciBase + s_host.Mem32.CpuBase;
            if (Inside(ref s_host.Mem64, bus)) return bus - s_host.Mem64.PciBase + s_host.Mem64.CpuBase;
            return bus; // no windows known (ACPI): bus and CPU addresses agree on PCs and QEMU
        }

        private static bool Inside(ref PciWindow w, ulong a) => w.Present && a >= w.PciBase && a - w.PciBase < w.Size;

        /// <summary>Maps [offset, offset+length) of BAR <paramref name="bar"/> as device memory; 0 when unassigned, too short or unmappable.</summary>
        public static ulong MapBar(PciFunction f, int bar, ulong offset, ulong length)
        {
            ulong cpu = f.BarAddress(bar);
            if (cpu == 0 || f.BarKind(bar) == PciBarKind.Io || offset + length > f.BarSize(bar) || length == 0) return 0;
            void* v = KernelAddressSpace.MapPhysical(cpu + offset, length, PageAccess.Read | PageAccess.Write | PageAccess.Device);
            return (ulong)v;
        }
    }
}
