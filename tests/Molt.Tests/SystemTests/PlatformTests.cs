using System.Diagnostics;
using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Boots that check the machine-facing paths: ACPI missing, the CPU count
/// limited from the command line, and the GRUB Multiboot2 ISO under
/// SeaBIOS (the fallback image, built here with image/iso.sh).
/// </summary>
public class PlatformTests
{
    private static QemuRunOptions Direct(string commandLine, int cpus = 1) => new()
    {
        Arch = QemuArch.X64,
        KernelPath = Repo.KernelFor(QemuArch.X64, commandLine),
        CommandLine = commandLine,
        Cpus = cpus,
        Timeout = TimeSpan.FromSeconds(60),
    };

    [KernelFact]
    public async Task Without_ACPI_the_kernel_warns_and_runs_on_the_boot_CPU()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Direct("exit", cpus: 2) with { ExtraArgs = ["-M", "pc,acpi=off"] });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("acpi: warning: no RSDP found"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 1 CPUs online"));
    }

    [KernelFact]
    public async Task An_unknown_command_line_option_is_named_in_a_warning_and_boot_goes_on()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Direct("exit tset=1"));
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("boot: warning: unknown command-line option 'tset' ignored (known: test,"));
        Assert.True(r.Serial.Ready, r.Describe());
    }

    [KernelFact]
    public async Task Every_CPU_comes_online_and_all_stop_cleanly_after_the_tests()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Direct("test test.filter=smp.", cpus: 4));
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 4 CPUs online"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: all other CPUs stopped"));
    }

    [KernelFact]
    public async Task The_GRUB_multiboot2_ISO_boots_under_SeaBIOS_and_passes_the_tests()
    {
        string outDir = Path.Combine(Path.GetTempPath(), "molt-grub-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outDir);
        try
        {
            var build = Process.Start(new ProcessStartInfo("bash",
                [Path.Combine(Repo.Root, "image", "iso.sh"), "grub", "x64", Repo.TestKernelElf(QemuArch.X64), outDir, "test test.filter=runtime."])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string log = await build.StandardOutput.ReadToEndAsync() + await build.StandardError.ReadToEndAsync();
            await build.WaitForExitAsync();
            Assert.True(build.ExitCode == 0, "image/iso.sh grub failed:\n" + log);
            var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
            {
                Arch = QemuArch.X64,
                ImagePath = Path.Combine(outDir, "molt-grub.iso"),
                Timeout = TimeSpan.FromSeconds(90),
            });
            Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
            Assert.Contains(r.SerialLines, l => l.Contains("boot: protocol multiboot2"));
            Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"^\d+ passed, 0 failed$"));
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }
}

/// <summary>The object tables' design (b), kept for comparison: the update tests must pass through it too.</summary>
public class ObjectTableDesignTests
{
    [KernelFact]
    public async Task The_update_tests_pass_with_the_LTT_reached_through_the_per_CPU_block()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.X64,
            KernelPath = Repo.TestKernelElf(QemuArch.X64),
            CommandLine = "test test.filter=update. ltt=block",
            Cpus = 2,
            Timeout = TimeSpan.FromSeconds(90),
        });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"^[1-9][0-9]* passed, 0 failed$"));
    }
}
