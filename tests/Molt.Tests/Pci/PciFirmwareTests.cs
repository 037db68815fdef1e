using System.Diagnostics;
using Molt.Boot;
using Molt.Drivers.Pci;
using Molt.Firmware;
using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Pci;

/// <summary>The kernel's PCI firmware parsers (MCFG, pci-host-ecam-generic) and BAR arithmetic, on fixtures and fuzzed.</summary>
public sealed unsafe class PciFirmwareTests
{
    // ---- MCFG ----

    /// <summary>An MCFG with the given entries (base, segment, start, end) and a correct checksum.</summary>
    public static byte[] Mcfg(params (ulong Base, ushort Segment, byte Start, byte End)[] entries)
    {
        var t = new byte[44 + 16 * entries.Length];
        "MCFG"u8.CopyTo(t);
        BitConverter.TryWriteBytes(t.AsSpan(4), (uint)t.Length);
        t[8] = 1;
        for (int i = 0; i < entries.Length; i++)
        {
            int at = 44 + 16 * i;
            BitConverter.TryWriteBytes(t.AsSpan(at), entries[i].Base);
            BitConverter.TryWriteBytes(t.AsSpan(at + 8), entries[i].Segment);
            t[at + 10] = entries[i].Start;
            t[at + 11] = entries[i].End;
        }
        FixChecksum(t);
        return t;
    }

    private static void FixChecksum(byte[] t)
    {
        t[9] = 0;
        byte sum = 0;
        foreach (var b in t) sum += b;
        t[9] = (byte)(0 - sum);
    }

    [Fact]
    public void Mcfg_of_q35_gives_one_ecam_region()
    {
        var regions = new EcamRegion[4];
        string? error = McfgTable.Parse(Mcfg((0xB0000000, 0, 0, 255)), regions, out int count, out int skipped);
        Assert.Null(error);
        Assert.Equal(1, count);
        Assert.Equal(0, skipped);
        Assert.Equal(0xB0000000UL, regions[0].Base);
        Assert.Equal(256, regions[0].BusCount);
        Assert.Equal(256UL << 20, regions[0].Size);
    }

    [Fact]
    public void Mcfg_base_is_where_bus_0_would_be()
    {
        var regions = new EcamRegion[4];
        Assert.Null(McfgTable.Parse(Mcfg((0xE0000000, 1, 0x10, 0x1F)), regions, out int count, out _));
        Assert.Equal(1, count);
        Assert.Equal(0xE0000000UL + (0x10UL << 20), regions[0].Base);
        Assert.Equal((ushort)1, regions[0].Segment);
        Assert.Equal(16, regions[0].BusCount);
    }

    [Fact]
    public void Mcfg_skips_malformed_entries_and_refuses_broken_tables()
    {
        var regions = new EcamRegion[4];
        Assert.Null(McfgTable.Parse(Mcfg((0, 0, 0, 255), (0xB0000000, 0, 9, 3), (0xB0000123, 0, 0, 1), (0xC0000000, 0, 0, 0)), regions, out int count, out int skipped));
        Assert.Equal(1, count);
        Assert.Equal(3, skipped);
        Assert.Equal(0xC0000000UL, regions[0].Base);

        var t = Mcfg((0xB0000000, 0, 0, 255));
        t[50] ^= 1;
        Assert.Contains("checksum", McfgTable.Parse(t, regions, out count, out _));
        Assert.Equal(0, count);
        Assert.Contains("shorter", McfgTable.Parse(t.AsSpan(0, 20), regions, out _, out _));
        var wrong = Mcfg(); wrong[0] = (byte)'X'; FixChecksum(wrong);
        Assert.Contains("signature", McfgTable.Parse(wrong, regions, out _, out _));
        var longer = Mcfg((0xB0000000, 0, 0, 255));
        BitConverter.TryWriteBytes(longer.AsSpan(4), 1000u); FixChecksum(longer);
        Assert.Contains("runs past", McfgTable.Parse(longer, regions, out _, out _));
        // More entries than room: the extra ones are skipped, never written.
        Assert.Null(McfgTable.Parse(Mcfg((0xB0000000, 0, 0, 1), (0xC0000000, 0, 0, 1)), regions.AsSpan(0, 1), out count, out skipped));
        Assert.Equal(1, count);
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void Mcfg_parser_survives_random_corruption()
    {
        var rng = new Random(1234);
        var good = Mcfg((0xB0000000, 0, 0, 255), (0xC0000000, 1, 0, 7));
        var regions = new EcamRegion[2];
        for (int round = 0; round < 20_000; round++)
        {
            var t = (byte[])good.Clone();
            int flips = rng.Next(1, 6);
            for (int i = 0; i < flips; i++) t[rng.Next(t.Length)] = (byte)rng.Next(256);
            if (rng.Next(2) == 0) FixChecksum(t);
            int cut = rng.Next(3) == 0 ? rng.Next(t.Length + 1) : t.Length;
            string? error = McfgTable.Parse(t.AsSpan(0, cut), regions, out int count, out _);
            Assert.InRange(count, 0, 2);
            if (error != null) Assert.Equal(0, count);
            for (int i = 0; i < count; i++)
            {
                Assert.NotEqual(0UL, regions[i].Base);
                Assert.True(regions[i].EndBus >= regions[i].StartBus);
            }
        }
    }

    // ---- device tree ----

    private const uint GicPhandle = 0x8001;

    /// <summary>A tree shaped like QEMU virt's (highmem ECAM, the three windows, 16 interrupt-map rows).</summary>
    public static byte[] VirtLikeTree(Func<FdtBuilder, FdtBuilder>? extraPcieProps = null, bool withMap = true, uint[]? busRange = null)
    {
        var b = new FdtBuilder().Begin("")
            .Cells("#address-cells", 2).Cells("#size-cells", 2).Str("compatible", "linux,dummy-virt")
            .Begin("intc@8000000").Str("compatible", "arm,gic-v3").Cells("phandle", GicPhandle)
                .Cells("#interrupt-cells", 3).Cells("#address-cells", 2).Cells("#size-cells", 2).Prop("interrupt-controller", [])
                .Cells("reg", 0, 0x08000000, 0, 0x10000, 0, 0x080A0000, 0, 0xF60000).End()
            .Begin("pcie@10000000").Str("compatible", "pci-host-ecam-generic").Str("device_type", "pci")
                .Cells("reg", 0x40, 0x10000000, 0, 0x10000000)
                .Cells("bus-range", busRange ?? [0, 0xFF]).Cells("linux,pci-domain", 0)
                .Cells("#address-cells", 3).Cells("#size-cells", 2).Cells("#interrupt-cells", 1)
                .Cells("ranges",
                    0x01000000, 0, 0, 0, 0x3EFF0000, 0, 0x10000,
                    0x02000000, 0, 0x10000000, 0, 0x10000000, 0, 0x2EFF0000,
                    0x43000000, 0x80, 0, 0x80, 0, 0x80, 0);
        if (withMap)
        {
            var map = new List<uint>();
            for (uint slot = 0; slot < 4; slot++)
                for (uint pin = 1; pin <= 4; pin++)
                    map.AddRange([slot << 11, 0, 0, pin, GicPhandle, 0, 0, 0, 3 + (slot + pin - 1) % 4, 4]);
            b.Cells("interrupt-map-mask", 0x1800, 0, 0, 7).Cells("interrupt-map", [.. map]);
        }
        if (extraPcieProps != null) b = extraPcieProps(b);
        return b.End().End().Finish();
    }

    private static string? Parse(byte[] blob, out PciHostBridge host)
    {
        fixed (byte* p = blob)
        {
            string? error = DeviceTree.Open(p, (ulong)blob.Length, out DeviceTree tree);
            Assert.Null(error);
            return PciHostDeviceTree.Parse(ref tree, out host);
        }
    }

    [Fact]
    public void Device_tree_host_bridge_of_virt()
    {
        Assert.Null(Parse(VirtLikeTree(), out var host));
        Assert.Equal(0x4010000000UL, host.Ecam.Base);
        Assert.Equal(0, host.Ecam.StartBus);
        Assert.Equal(255, host.Ecam.EndBus);
        Assert.Equal(0x10000000UL, host.Mem32.CpuBase);
        Assert.Equal(0x10000000UL, host.Mem32.PciBase);
        Assert.Equal(0x2EFF0000UL, host.Mem32.Size);
        Assert.False(host.Mem32.Prefetchable);
        Assert.Equal(0x8000000000UL, host.Mem64.CpuBase);
        Assert.Equal(0x8000000000UL, host.Mem64.Size);
        Assert.True(host.Mem64.Prefetchable);
        Assert.Equal(16, host.RouteCount);
    }

    [Theory]
    [InlineData(0, 1, 35)]
    [InlineData(1, 1, 36)]
    [InlineData(2, 1, 37)]
    [InlineData(3, 1, 38)]
    [InlineData(4, 1, 35)]  // slot 4 aliases slot 0 under mask 0x1800
    [InlineData(1, 4, 35)]  // (1 + 4 - 1) % 4 = 0
    [InlineData(2, 2, 38)]
    public void Device_tree_intx_routes_swizzle(int slot, int pin, int intid)
    {
        Assert.Null(Parse(VirtLikeTree(), out var host));
        Assert.True(host.RouteInterrupt(0, slot, 0, (byte)pin, out uint line, out bool level));
        Assert.Equal((uint)intid, line);
        Assert.True(level);
        Assert.False(host.RouteInterrupt(0, slot, 0, 0, out _, out _)); // no pin
        Assert.False(host.RouteInterrupt(0, slot, 0, 5, out _, out _));
    }

    [Fact]
    public void Bridge_swizzle_is_the_standard_one()
    {
        Assert.Equal(1, PciHostBridge.SwizzlePin(0, 1));
        Assert.Equal(2, PciHostBridge.SwizzlePin(1, 1));
        Assert.Equal(1, PciHostBridge.SwizzlePin(3, 2));
        Assert.Equal(4, PciHostBridge.SwizzlePin(4, 4));
    }

    [Fact]
    public void Device_tree_refusals_name_the_property()
    {
        var noNode = new FdtBuilder().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2).End().Finish();
        Assert.Contains("no pci-host-ecam-generic", Parse(noNode, out _));
        Assert.Contains("bus-range", Parse(VirtLikeTree(busRange: [5, 2]), out _));
        Assert.Contains("bus-range", Parse(VirtLikeTree(busRange: [0, 300]), out _));
        Assert.Contains("bus-range", Parse(VirtLikeTree(busRange: [0]), out _));
        var cut = VirtLikeTree(b => b, withMap: false);
        Assert.Null(Parse(cut, out var none));
        Assert.Equal(0, none.RouteCount);
        var shortMap = new FdtBuilder().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2)
            .Begin("intc").Cells("phandle", GicPhandle).Cells("#interrupt-cells", 3).Cells("#address-cells", 2).End()
            .Begin("pcie@0").Str("compatible", "pci-host-ecam-generic").Cells("reg", 0, 0x30000000, 0, 0x1000000)
                .Cells("#address-cells", 3).Cells("#size-cells", 2).Cells("#interrupt-cells", 1)
                .Cells("interrupt-map-mask", 0x1800, 0, 0, 7)
                .Cells("interrupt-map", 0x800, 0, 0, 1, GicPhandle, 0, 0, 0, 4, 4, 0x1000, 0, 0, 1, GicPhandle, 0, 0, 0)
            .End().End().Finish();
        string? error = Parse(shortMap, out var host);
        Assert.Contains("cut short", error);
        Assert.Equal(40, host.ErrorOffset);
        var badPhandle = new FdtBuilder().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2)
            .Begin("pcie@0").Str("compatible", "pci-host-ecam-generic").Cells("reg", 0, 0x30000000, 0, 0x1000000)
                .Cells("#address-cells", 3).Cells("#size-cells", 2)
                .Cells("interrupt-map", 0x800, 0, 0, 1, 0x77, 0, 0, 0, 4, 4)
            .End().End().Finish();
        Assert.Contains("phandle", Parse(badPhandle, out _));
        // Without bus-range, the buses follow from reg's size: 16 MiB is 16 buses.
        var plain = new FdtBuilder().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2)
            .Begin("pcie@0").Str("compatible", "pci-host-ecam-generic").Cells("reg", 0, 0x30000000, 0, 0x1000000).Cells("#address-cells", 3).Cells("#size-cells", 2)
            .End().End().Finish();
        Assert.Null(Parse(plain, out var small));
        Assert.Equal(15, small.Ecam.EndBus);
        Assert.Equal(0x30000000UL, small.Ecam.Base);
    }

    [Fact]
    public void Device_tree_parser_survives_random_interrupt_maps()
    {
        var rng = new Random(4321);
        for (int round = 0; round < 3000; round++)
        {
            int n = rng.Next(0, 40);
            var cells = new uint[n];
            for (int i = 0; i < n; i++)
                cells[i] = rng.Next(4) switch { 0 => GicPhandle, 1 => (uint)rng.Next(8), 2 => (uint)rng.Next(), _ => 0 };
            var blob = VirtLikeTree(withMap: false, extraPcieProps: b => b.Cells("interrupt-map-mask", 0x1800, 0, 0, 7).Cells("interrupt-map", cells));
            string? error = Parse(blob, out var host);
            Assert.InRange(host.RouteCount, 0, PciHostBridge.MaxRoutes);
            if (error != null) Assert.InRange(host.ErrorOffset, 0, n * 4);
            for (int i = 0; i < host.RouteCount; i++)
            {
                host.GetRoute(i, out _, out byte pin, out uint line, out _);
                Assert.InRange(pin, (byte)1, (byte)4);
                Assert.InRange(line, 16u, 1019u);
            }
        }
    }

    /// <summary>QEMU's own virt tree (dumped with -machine dumpdtb) parses to the facts docs/pci-virtio.md states.</summary>
    [Fact]
    public void Qemu_virt_device_tree_parses()
    {
        if (!QemuLocator.IsAvailable(QemuArch.Arm64)) return; // no QEMU: the fixtures above still ran
        string qemu = QemuLocator.Locate(QemuArch.Arm64);
        string path = Path.Combine(Path.GetTempPath(), $"molt-virt-{Environment.ProcessId}.dtb");
        try
        {
            var psi = new ProcessStartInfo(qemu, ["-M", "virt,gic-version=3,dumpdtb=" + path, "-cpu", "cortex-a72", "-m", "256M", "-display", "none",
                "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            Assert.True(p.WaitForExit(30_000), "qemu dumpdtb did not finish");
            Assert.True(File.Exists(path), "qemu wrote no device tree");
            Assert.Null(Parse(File.ReadAllBytes(path), out var host));
            Assert.Equal(0x4010000000UL, host.Ecam.Base);
            Assert.Equal(255, host.Ecam.EndBus);
            Assert.True(host.Mem32.Present);
            Assert.Equal(16, host.RouteCount);
            Assert.True(host.RouteInterrupt(0, 1, 0, 1, out uint line, out bool level));
            Assert.Equal(36u, line);
            Assert.True(level);
        }
        finally { File.Delete(path); }
    }

    // ---- BARs ----

    [Fact]
    public void Bar_sizing_arithmetic()
    {
        // virtio-net-pci's BAR 4: 64-bit prefetchable memory, 16 KiB.
        Assert.Equal(PciBarKind.Memory64, PciBar.KindOf(0xFE00000C));
        Assert.True(PciBar.IsPrefetchable(0xFE00000C));
        Assert.Equal(0x4000UL, PciBar.Size(0xFFFFC00C, 0xFFFFFFFF, PciBarKind.Memory64));
        Assert.Equal(0x80_0000_4000UL, PciBar.Address(0x0000400C, 0x80, PciBarKind.Memory64));
        // A 64-bit BAR larger than 4 GiB.
        Assert.Equal(1UL << 33, PciBar.Size(0x0000000C, 0xFFFFFFFE, PciBarKind.Memory64));
        // 32-bit memory, 4 KiB (the MSI-X table BAR).
        Assert.Equal(PciBarKind.Memory32, PciBar.KindOf(0xFEBD1000));
        Assert.Equal(0x1000UL, PciBar.Size(0xFFFFF000, 0, PciBarKind.Memory32));
        // I/O, 32 ports, with and without the upper 16 bits implemented.
        Assert.Equal(PciBarKind.Io, PciBar.KindOf(0xC001));
        Assert.Equal(32UL, PciBar.Size(0xFFFFFFE1, 0, PciBarKind.Io));
        Assert.Equal(32UL, PciBar.Size(0x0000FFE1, 0, PciBarKind.Io));
        Assert.Equal(0xC000UL, PciBar.Address(0xC001, 0, PciBarKind.Io));
        // Unimplemented BARs.
        Assert.Equal(0UL, PciBar.Size(0, 0, PciBarKind.Memory32));
        Assert.Equal(0UL, PciBar.Size(0xC, 0, PciBarKind.Memory64));
        Assert.Equal(PciBarKind.None, PciBar.KindOf(0x2)); // below-1-MiB type is obsolete
        Assert.Equal(0x10004000UL, PciBar.AlignUp(0x10000001, 0x4000));
        Assert.True(PciBar.IsPowerOfTwo(0x4000));
        Assert.False(PciBar.IsPowerOfTwo(0x3000));
    }
}
