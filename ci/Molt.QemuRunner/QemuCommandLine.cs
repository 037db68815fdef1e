using System.Globalization;

namespace Molt.QemuRunner;

/// <summary>
/// Builds QEMU's argument list from <see cref="QemuRunOptions"/>: the one
/// place QEMU's arguments come from. make run, debug and bench boot through
/// it too (ci/Molt.Qemu, molt-qemu), so a CI failure reproduces with
/// <c>make run</c> and a device is added once. Kept separate from process
/// handling so the arguments can be unit-tested without QEMU.
/// </summary>
public static class QemuCommandLine
{
    /// <summary>Checks the options and returns the arguments (without the QEMU binary).</summary>
    public static IReadOnlyList<string> Build(QemuRunOptions o)
    {
        Validate(o);
        var a = new List<string>();
        if (o.Arch == QemuArch.X64)
            a.AddRange(["-M", "q35", "-cpu", "max"]);
        else
            a.AddRange(["-M", $"virt,gic-version={o.GicVersion.ToString(CultureInfo.InvariantCulture)}", "-cpu", "cortex-a72"]);
        a.AddRange([
            "-m", $"{o.MemoryMiB.ToString(CultureInfo.InvariantCulture)}M",
            "-smp", o.Cpus.ToString(CultureInfo.InvariantCulture),
            "-display", "none", "-serial", "stdio", "-no-reboot",
        ]);
        // How the kernel ends the run: see ExitStatus for the two conventions.
        if (o.Arch == QemuArch.X64)
            a.AddRange(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        else
            a.Add("-semihosting");

        if (o.Nic != null)
            a.AddRange(o.Nic.Arguments());

        if (o.FirmwarePath != null)
            a.AddRange(["-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={Escape(o.FirmwarePath)}"]);
        if (o.FirmwareVarsPath != null)
            a.AddRange(["-drive", $"if=pflash,format=raw,unit=1,file={Escape(o.FirmwareVarsPath)}"]);

        if (o.KernelPath != null)
        {
            a.AddRange(["-kernel", o.KernelPath]);
            if (o.InitrdPath != null) a.AddRange(["-initrd", o.InitrdPath]);
            a.AddRange(["-append", o.CommandLine]);
        }
        else
        {
            a.AddRange(BootImage(o.Arch, o.ImagePath!));
        }
        a.AddRange(o.ExtraArgs);
        return a;
    }

    // snapshot=on: a guest that writes to its boot disk must not change the file a later run boots.
    private static string[] BootImage(QemuArch arch, string path)
    {
        bool iso = path.EndsWith(".iso", StringComparison.OrdinalIgnoreCase);
        if (arch == QemuArch.X64)
            return iso ? ["-cdrom", path] : ["-drive", $"format=raw,snapshot=on,file={Escape(path)}"];
        // The arm64 virt machine has no IDE: both kinds go on virtio-blk, which UEFI boots from.
        string media = iso ? ",readonly=on" : ",snapshot=on";
        return ["-drive", $"if=none,id=boot,format=raw{media},file={Escape(path)}", "-device", "virtio-blk-pci,drive=boot"];
    }

    // QEMU's option syntax splits on commas; a literal comma is written twice.
    private static string Escape(string path) => path.Replace(",", ",,");

    private static void Validate(QemuRunOptions o)
    {
        if ((o.KernelPath == null) == (o.ImagePath == null))
            throw new ArgumentException("set exactly one of KernelPath and ImagePath");
        if (o.ImagePath != null && o.CommandLine.Length > 0)
            throw new ArgumentException("CommandLine is passed with -append, which only works with KernelPath; an image's boot loader sets the command line");
        if (o.Cpus is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(o.Cpus), o.Cpus, "CPU count must be 1..255");
        if (o.MemoryMiB < 16) throw new ArgumentOutOfRangeException(nameof(o.MemoryMiB), o.MemoryMiB, "memory must be at least 16 MiB");
        if (o.GicVersion is < 2 or > 4) throw new ArgumentOutOfRangeException(nameof(o.GicVersion), o.GicVersion, "GIC version must be 2, 3 or 4");
        if (o.Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(o.Timeout), o.Timeout, "time-out must be positive");
        foreach (var (what, path) in new[] { ("kernel ELF", o.KernelPath), ("boot image", o.ImagePath), ("firmware", o.FirmwarePath), ("firmware variables", o.FirmwareVarsPath), ("boot module", o.InitrdPath) })
            if (path != null && !File.Exists(path))
                throw new FileNotFoundException($"{what} '{path}' does not exist" + (what == "kernel ELF" ? " (run make)" : ""), path);
        if (o.CommandLine.Contains('\n')) throw new ArgumentException("the kernel command line must be one line");
        o.Nic?.Validate();
    }
}
