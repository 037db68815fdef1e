using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Runner;

/// <summary>The QEMU arguments built from options, checked without running QEMU.</summary>
public sealed class QemuCommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("molt-cmdline-").FullName;
    private string File(string name) { var p = Path.Combine(_dir, name); System.IO.File.WriteAllText(p, ""); return p; }
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Joined(QemuRunOptions o) => string.Join(' ', QemuCommandLine.Build(o));

    [Fact]
    public void X64_kernel_boot_matches_the_makefile()
    {
        var elf = File("molt.elf");
        var args = QemuCommandLine.Build(new QemuRunOptions { KernelPath = elf, CommandLine = "fault=null exit", Cpus = 2 });
        Assert.Equal(
            ["-M", "q35", "-cpu", "max", "-m", "256M", "-smp", "2", "-display", "none", "-serial", "stdio", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", elf, "-append", "fault=null exit"],
            args);
    }

    [Fact]
    public void Arm64_uses_virt_with_the_gic_and_semihosting()
    {
        var s = Joined(new QemuRunOptions { Arch = QemuArch.Arm64, KernelPath = File("k.elf"), GicVersion = 2, MemoryMiB = 512 });
        Assert.Contains("-M virt,gic-version=2 -cpu cortex-a72 -m 512M", s);
        Assert.Contains("-semihosting", s);
        Assert.DoesNotContain("isa-debug-exit", s);
    }

    [Fact]
    public void Images_firmware_and_extra_args()
    {
        var code = File("CODE,1.fd");
        var s = Joined(new QemuRunOptions { ImagePath = File("molt.iso"), FirmwarePath = code, ExtraArgs = ["-d", "int"] });
        Assert.Contains($"-drive if=pflash,format=raw,unit=0,readonly=on,file={code.Replace(",", ",,")}", s);
        Assert.Contains("-cdrom", s);
        Assert.EndsWith("-d int", s);
        Assert.DoesNotContain("-append", s);
        var disk = Joined(new QemuRunOptions { Arch = QemuArch.Arm64, ImagePath = File("molt.img") });
        Assert.Contains("snapshot=on", disk);
        Assert.Contains("virtio-blk-pci", disk);
    }

    [Fact]
    public void Rejects_bad_options_with_clear_messages()
    {
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions()));
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = File("a"), ImagePath = File("b") }));
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { ImagePath = File("b.iso"), CommandLine = "exit" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = File("a"), Cpus = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = File("a"), Timeout = TimeSpan.Zero }));
        var e = Assert.Throws<FileNotFoundException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Path.Combine(_dir, "missing.elf") }));
        Assert.Contains("missing.elf", e.Message);
        Assert.Contains("run make", e.Message);
    }

    [Fact]
    public void Missing_qemu_names_the_package_to_install()
    {
        var e = Assert.Throws<QemuNotFoundException>(() => QemuLocator.Locate(QemuArch.Arm64, searchPath: _dir));
        Assert.Contains("qemu-system-aarch64", e.Message);
        Assert.Contains("qemu-system-arm", e.Message);
        var e2 = Assert.Throws<QemuNotFoundException>(() => QemuLocator.Locate(QemuArch.X64, Path.Combine(_dir, "nope")));
        Assert.Contains("nope", e2.Message);
    }
}
