using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Boots build/arm64/molt.elf on QEMU's virt machine, with more than one CPU:
/// it gets ready with every CPU started through PSCI, each deliberate fault
/// panics with the same reason as on x86-64 (semihosting exit status 3), the
/// CPU count follows <c>smp=</c>, both GIC versions work, and application
/// processors that PSCI starts at EL2 (virtualization=on) drop to EL1.
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
    public async Task Exit_reaches_ready_with_every_CPU_started_through_PSCI()
    {
        var r = await Boot("exit", cpus: 4);
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Equal(0, r.ExitStatus);
        Assert.True(r.Serial.Ready, r.Describe());
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"boot: Molt ready in \d+ ms$"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: starting 3 CPUs through PSCI CPU_ON"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 4 CPUs online"));
        Assert.Contains(r.SerialLines, l => l.Contains("gic: GICv3") && l.Contains("4 redistributors"));
    }

    [Arm64KernelTheory]
    [InlineData("null", "NullReferenceException: read of address 0x")]
    [InlineData("cast", "InvalidCastException: ")]
    [InlineData("index", "IndexOutOfRangeException: ")]
    [InlineData("divzero", "DivideByZeroException: ")]
    [InlineData("throw", "unhandled exception ")]
    [InlineData("oom", "OutOfMemoryException: ")]
    public async Task A_deliberate_fault_panics_with_its_reason_and_a_symbolized_backtrace(string fault, string reasonStart)
    {
        var r = await Boot($"fault={fault}");
        FaultChecks.AssertPanicked(r, fault, reasonStart, exitStatus: 3);
    }

    [Arm64KernelFact]
    public async Task Smp_on_the_command_line_limits_the_CPUs_brought_up()
    {
        var r = await Boot("exit smp=2", cpus: 4);
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("smp: 4 CPUs from the device tree"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 2 CPUs online (limited by smp=)"));
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
