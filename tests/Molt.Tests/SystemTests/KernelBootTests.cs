using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// What a person checks on every architecture, written once with a row per
/// arch: the release kernel gets ready with every CPU started, each
/// deliberate fault panics with its reason and a symbolized backtrace (the
/// exit status in the arch's encoding of the kernel's 3), a bad fault kind
/// names the valid ones, and <c>smp=</c> limits the CPUs. Rows are skipped
/// with the reason when an arch's kernels are not built or its QEMU is missing.
/// What only one arch has stays in BootTests (x86-64) and Arm64Tests.
/// </summary>
public class KernelBootTests
{
    private static Task<QemuResult> Boot(QemuArch arch, string commandLine, int cpus = 2) =>
        QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.KernelFor(arch, commandLine),
            CommandLine = commandLine,
            Cpus = cpus,
            Timeout = TimeSpan.FromSeconds(60),
        });

    [Theory]
    [OnArch(QemuArch.X64, "INIT-SIPI-SIPI")]
    [OnArch(QemuArch.Arm64, "PSCI CPU_ON")]
    public async Task Exit_reaches_ready_with_every_CPU_started(QemuArch arch, string startMethod)
    {
        var r = await Boot(arch, "exit", cpus: 4);
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Equal(ExitStatus.ForKernelValue(arch, ExitStatus.Pass), r.ExitStatus);
        Assert.True(r.Serial.Ready, r.Describe());
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"boot: Molt ready in \d+ ms$"));
        Assert.NotNull(r.Serial.BootMilliseconds);
        Assert.Contains(r.SerialLines, l => l.EndsWith($"smp: starting 3 CPUs through {startMethod}"));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 4 CPUs online"));
    }

    [Theory]
    [OnArch(QemuArch.X64, "null", "NullReferenceException: ")]
    [OnArch(QemuArch.X64, "cast", "InvalidCastException: ")]
    [OnArch(QemuArch.X64, "index", "IndexOutOfRangeException: ")]
    [OnArch(QemuArch.X64, "divzero", "DivideByZeroException: ")]
    [OnArch(QemuArch.X64, "throw", "unhandled exception ")]
    [OnArch(QemuArch.X64, "oom", "OutOfMemoryException: ")]
    [OnArch(QemuArch.X64, "stack", "stack overflow: thread 'fault.stack' (id ")]
    [OnArch(QemuArch.Arm64, "null", "NullReferenceException: read of address 0x")]
    [OnArch(QemuArch.Arm64, "cast", "InvalidCastException: ")]
    [OnArch(QemuArch.Arm64, "index", "IndexOutOfRangeException: ")]
    [OnArch(QemuArch.Arm64, "divzero", "DivideByZeroException: ")]
    [OnArch(QemuArch.Arm64, "throw", "unhandled exception ")]
    [OnArch(QemuArch.Arm64, "oom", "OutOfMemoryException: ")]
    [OnArch(QemuArch.Arm64, "stack", "stack overflow: thread 'fault.stack' (id ")]
    public async Task A_deliberate_fault_panics_with_its_reason_and_a_symbolized_backtrace(QemuArch arch, string fault, string reasonStart)
    {
        var r = await Boot(arch, $"fault={fault}");
        FaultChecks.AssertPanicked(r, fault, reasonStart, exitStatus: ExitStatus.ForKernelValue(arch, ExitStatus.Panic));
        Assert.Equal(ExitStatus.Panic, r.KernelExitValue);
        Assert.Contains("Backtrace:", r.SerialLines);
        if (fault == "stack")
            Assert.Matches(@"ran past the bottom of its stack \[0x[0-9a-f]{16}, 0x[0-9a-f]{16}\) into the guard page at 0x[0-9a-f]{16}$", r.PanicReason);
    }

    [Theory, OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task An_unknown_fault_kind_names_the_valid_ones(QemuArch arch)
    {
        var r = await Boot(arch, "fault=bogus");
        Assert.True(r.Outcome == QemuOutcome.Panicked, r.Describe());
        Assert.NotNull(r.PanicReason);
        foreach (var kind in new[] { "null", "cast", "index", "divzero", "throw", "oom", "stack" })
            Assert.Contains(kind, r.PanicReason);
    }

    [Theory]
    [OnArch(QemuArch.X64, "acpi: 4 CPUs")]
    [OnArch(QemuArch.Arm64, "smp: 4 CPUs from the device tree")]
    public async Task Smp_on_the_command_line_limits_the_CPUs_brought_up(QemuArch arch, string found)
    {
        var r = await Boot(arch, "exit smp=2", cpus: 4);
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains(found));
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 2 CPUs online (limited by smp=)"));
    }
}
