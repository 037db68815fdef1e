using Molt.QemuRunner;
using Molt.TestDriver;
using Xunit;

namespace Molt.Tests.Driver;

/// <summary>The test driver's pieces: its closing line, its options, TRX reading and suite checks.</summary>
public class DriverTests
{
    [Theory]
    [InlineData(3, 0, 0, "3 passed, 0 failed")]
    [InlineData(3, 2, 0, "3 passed, 2 failed")]
    [InlineData(3, 0, 1, "3 passed, 0 failed, 1 skipped")]
    public void The_closing_line_has_the_form_ci_reads(int passed, int failed, int skipped, string expected)
    {
        var t = new Tally();
        t.Add(passed, failed, skipped);
        Assert.Equal(expected, t.Summary());
        Assert.Matches(@"^\d+ passed, \d+ failed(, \d+ skipped)?$", t.Summary());
        Assert.Equal(failed == 0, t.Succeeded);
    }

    [Fact]
    public void Nothing_run_is_not_success()
    {
        var t = new Tally();
        t.Add(0, 0, 2);
        Assert.False(t.Succeeded);
    }

    [Fact]
    public void Options_parse()
    {
        var o = DriverOptions.Parse(["--filter", "heap", "--arch", "arm64", "--no-host", "--timeout", "2.5", "--no-build"]);
        Assert.Equal("heap", o.Filter);
        Assert.Equal(QemuArch.Arm64, o.Arch);
        Assert.False(o.Host);
        Assert.True(o.Kernel);
        Assert.True(o.NoBuild);
        Assert.Equal(TimeSpan.FromSeconds(2.5), o.KernelTimeout);
        Assert.Null(DriverOptions.Parse(["--arch", "all"]).Arch);
        Assert.True(DriverOptions.Parse(["--help"]).Help);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--arch", "mips")]
    [InlineData("--filter")]
    [InlineData("--timeout", "0")]
    public void Bad_options_are_usage_errors(params string[] args)
    {
        Assert.Throws<ArgumentException>(() => DriverOptions.Parse(args));
    }

    [Fact]
    public void Configurations_have_unique_names_and_arch_specific_elves()
    {
        var all = KernelConfiguration.All;
        Assert.Equal(all.Count, all.Select(c => c.Name).Distinct().Count());
        Assert.Contains(all, c => c.Name == "x64 smp1" && c.ElfPath == "build/x64/molt-test.elf");
        Assert.Contains(all, c => c.Arch == QemuArch.Arm64 && c.ElfPath == "build/arm64/molt-test.elf");
        // arm64 runs both interrupt controllers QEMU's virt machine offers, and more than one CPU.
        Assert.Contains(all, c => c.Name == "arm64 smp4 gicv3" && c.GicVersion == 3);
        Assert.Contains(all, c => c.Name == "arm64 smp2 gicv2" && c.GicVersion == 2);
    }

    private const string Trx = """
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun id="1" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
            <UnitTestResult testName="A.passes" outcome="Passed" />
            <UnitTestResult testName="A.fails" outcome="Failed">
              <Output><ErrorInfo><Message>Assert.Equal() Failure
        Expected: 1</Message></ErrorInfo></Output>
            </UnitTestResult>
            <UnitTestResult testName="A.skipped" outcome="NotExecuted">
              <Output><ErrorInfo><Message>not built</Message></ErrorInfo></Output>
            </UnitTestResult>
            <UnitTestResult testName="A.timeout" outcome="Timeout" />
          </Results>
        </TestRun>
        """;

    [Fact]
    public void Trx_outcomes_and_messages()
    {
        var tests = TrxReport.Parse(Trx);
        Assert.Equal(["A.passes", "A.fails", "A.skipped", "A.timeout"], tests.Select(t => t.Name));
        Assert.Equal(
            [TrxReport.TestOutcome.Passed, TrxReport.TestOutcome.Failed, TrxReport.TestOutcome.Skipped, TrxReport.TestOutcome.Failed],
            tests.Select(t => t.Outcome));
        Assert.StartsWith("Assert.Equal() Failure", tests[1].Message);
        Assert.Equal("not built", tests[2].Message);
    }

    private static QemuResult Result(QemuOutcome outcome, string serial)
    {
        var lines = serial.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new QemuResult
        {
            Options = new QemuRunOptions(), CommandLine = [], SerialLines = lines, StandardError = "",
            Outcome = outcome, Reason = "because", Serial = SerialOutput.Parse(lines),
        };
    }

    [Fact]
    public void A_clean_run_has_no_suite_problems()
    {
        Assert.Empty(KernelSuite.SuiteProblems(Result(QemuOutcome.Passed, "PASS a\n1 passed, 0 failed\n"), 1, 0, false));
        Assert.Empty(KernelSuite.SuiteProblems(Result(QemuOutcome.Failed, "FAIL a: x\n0 passed, 1 failed\n"), 0, 1, false));
    }

    [Theory]
    [InlineData(QemuOutcome.Panicked, "PASS a\n", 1, 0, "Panicked")]
    [InlineData(QemuOutcome.TimedOut, "PASS a\n", 1, 0, "TimedOut")]
    [InlineData(QemuOutcome.Failed, "PASS a\n1 passed, 0 failed\n", 1, 0, "Failed")]
    [InlineData(QemuOutcome.Passed, "PASS a\n", 1, 0, "no \"N passed")]
    [InlineData(QemuOutcome.Passed, "PASS a\n2 passed, 0 failed\n", 1, 0, "counted 2 passed")]
    [InlineData(QemuOutcome.Passed, "0 passed, 0 failed\n", 0, 0, "ran no test")]
    public void A_broken_run_is_one_more_failure(QemuOutcome outcome, string serial, int passed, int failed, string expected)
    {
        var problem = Assert.Single(KernelSuite.SuiteProblems(Result(outcome, serial), passed, failed, filtered: false));
        Assert.Contains(expected, problem);
    }
}
