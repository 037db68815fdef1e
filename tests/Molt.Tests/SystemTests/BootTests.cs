using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// What only the x86-64 boot has: the time-out report, a kernel without its
/// symbol table, the build id. What both arches share (ready, faults, smp=)
/// is KernelBootTests.
/// Skipped with a reason when the kernel is not built or QEMU is missing.
/// </summary>
public class BootTests
{
    private static Task<QemuResult> Boot(string commandLine, double timeoutSeconds = 30) =>
        QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.X64,
            KernelPath = Repo.KernelFor(QemuArch.X64, commandLine),
            CommandLine = commandLine,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        });

    // The AP trampoline's data block is addressed by an offset exported from
    // trampoline.S, not through the symbol table: a kernel linked without
    // .ksyms (the first link pass) must still start every CPU.
    [KernelFact]
    public async Task A_kernel_without_its_symbol_table_still_starts_every_CPU()
    {
        // The test kernel's first link pass (build/x64/test/), which runs the smp. tests.
        string pass1 = Path.Combine(Path.GetDirectoryName(Repo.KernelElf(QemuArch.X64))!, "test", "molt.pass1.elf");
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.X64, KernelPath = pass1, CommandLine = "test test.filter=smp.", Cpus = 4,
            Timeout = TimeSpan.FromSeconds(60),
        });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("no symbol table"));
    }

    [KernelFact]
    public async Task The_build_id_is_printed_at_boot_and_matches_the_build()
    {
        var r = await Boot("exit");
        string id = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Repo.KernelElf(QemuArch.X64))!, "build-id")).Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Contains(r.SerialLines, l => l.EndsWith($"boot: build id {id}"));
    }

    [KernelFact]
    public async Task A_kernel_that_never_exits_is_caught_by_the_time_out()
    {
        var r = await Boot("", timeoutSeconds: 3);
        Assert.Equal(QemuOutcome.TimedOut, r.Outcome);
        Assert.Null(r.ExitStatus);
        Assert.InRange(r.Duration.TotalSeconds, 2.9, 10);
        Assert.Contains("Molt ready", r.LastLines());
        string report = r.Describe();
        Assert.Contains("timed out after 3 s", report);
        Assert.Contains("| Molt ready", report);
    }
}
