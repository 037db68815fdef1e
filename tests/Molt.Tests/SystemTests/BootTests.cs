using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Boots build/x64/molt.elf in QEMU (TCG, about 0.3 s a boot) and checks what
/// a person would: it gets ready, each deliberate fault panics with the right
/// reason and a symbolized backtrace, and a bad command line is explained.
/// Skipped with a reason when the kernel is not built or QEMU is missing.
/// </summary>
public class BootTests
{
    private static Task<QemuResult> Boot(string commandLine, double timeoutSeconds = 30) =>
        QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.X64,
            KernelPath = Repo.KernelElf(QemuArch.X64),
            CommandLine = commandLine,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        });

    [KernelFact]
    public async Task Exit_reaches_ready_and_reports_its_boot_time()
    {
        var r = await Boot("exit");
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Equal(1, r.ExitStatus);
        Assert.True(r.Serial.Ready, r.Describe());
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"boot: Molt ready in \d+ ms$"));
        Assert.NotNull(r.Serial.BootMilliseconds);
    }

    [KernelTheory]
    [InlineData("null", "NullReferenceException: ")]
    [InlineData("cast", "InvalidCastException: ")]
    [InlineData("index", "IndexOutOfRangeException: ")]
    [InlineData("divzero", "DivideByZeroException: ")]
    [InlineData("throw", "unhandled exception ")]
    [InlineData("oom", "OutOfMemoryException: ")]
    public async Task A_deliberate_fault_panics_with_its_reason_and_a_symbolized_backtrace(string fault, string reasonStart)
    {
        var r = await Boot($"fault={fault}");
        FaultChecks.AssertPanicked(r, fault, reasonStart, exitStatus: 7);
        Assert.Equal(ExitStatus.Panic, r.KernelExitValue);
        Assert.Contains("Backtrace:", r.SerialLines);
    }

    // The AP trampoline's data block is addressed by an offset exported from
    // trampoline.S, not through the symbol table: a kernel linked without
    // .ksyms (the first link pass) must still start every CPU.
    [KernelFact]
    public async Task A_kernel_without_its_symbol_table_still_starts_every_CPU()
    {
        string pass1 = Path.Combine(Path.GetDirectoryName(Repo.KernelElf(QemuArch.X64))!, "molt.pass1.elf");
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
    public async Task An_unknown_fault_kind_names_the_valid_ones()
    {
        var r = await Boot("fault=bogus");
        Assert.True(r.Outcome == QemuOutcome.Panicked, r.Describe());
        Assert.NotNull(r.PanicReason);
        foreach (var kind in new[] { "null", "cast", "index", "divzero", "throw", "oom" })
            Assert.Contains(kind, r.PanicReason);
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
