using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// What only the arm64 virt machine has: both GIC versions work, and
/// application processors that PSCI starts at EL2 (virtualization=on) drop
/// to EL1. What both arches share (ready, faults, smp=) is KernelBootTests.
/// Skipped with a reason when the kernel is not built or QEMU is missing.
/// </summary>
public class Arm64Tests
{
    private static Task<QemuResult> Boot(string commandLine, int cpus = 2, int gic = 3, params string[] extra) =>
        QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.Arm64,
            KernelPath = Repo.KernelFor(QemuArch.Arm64, commandLine),
            CommandLine = commandLine,
            Cpus = cpus,
            GicVersion = gic,
            ExtraArgs = extra,
            Timeout = TimeSpan.FromSeconds(60),
        });

    [Arm64KernelFact]
    public async Task GICv3_finds_a_redistributor_for_every_CPU()
    {
        var r = await Boot("exit", cpus: 4);
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("gic: GICv3") && l.Contains("4 redistributors"));
    }

    [Arm64KernelFact]
    public async Task GICv2_runs_the_SMP_and_interrupt_tests()
    {
        var r = await Boot("test test.filter=ipi.", cpus: 2, gic: 2);
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("gic: GICv2"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: all other CPUs stopped"));
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"^[1-9]\d* passed, 0 failed$"));
    }

    [Arm64KernelFact]
    public async Task CPUs_that_PSCI_starts_at_EL2_drop_to_EL1_and_run_threads()
    {
        var r = await Boot("test test.filter=smp.", cpus: 2, gic: 3, "-M", "virt,gic-version=3,virtualization=on");
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("boot: entered at EL2, running at EL1"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 2 CPUs online"));
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"^[1-9]\d* passed, 0 failed$"));
    }
}
