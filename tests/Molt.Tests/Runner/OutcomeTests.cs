using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Runner;

/// <summary>Exit-status decoding per architecture and its reconciliation with the serial output.</summary>
public class OutcomeTests
{
    [Theory]
    [InlineData(QemuArch.X64, 1, 0)]
    [InlineData(QemuArch.X64, 3, 1)]
    [InlineData(QemuArch.X64, 7, 3)]
    [InlineData(QemuArch.X64, 0, null)]   // reset / triple fault under -no-reboot
    [InlineData(QemuArch.X64, 2, null)]
    [InlineData(QemuArch.X64, -1, null)]
    [InlineData(QemuArch.X64, 256, null)]
    [InlineData(QemuArch.Arm64, 0, 0)]
    [InlineData(QemuArch.Arm64, 1, 1)]
    [InlineData(QemuArch.Arm64, 3, 3)]
    [InlineData(QemuArch.Arm64, -1, null)]
    public void Kernel_value_from_status(QemuArch arch, int status, int? v)
    {
        Assert.Equal(v, ExitStatus.KernelValue(arch, status));
        if (v is int value) Assert.Equal(status, ExitStatus.ForKernelValue(arch, value));
    }

    [Theory]
    [InlineData(QemuArch.X64, 1, QemuOutcome.Passed)]
    [InlineData(QemuArch.X64, 3, QemuOutcome.Failed)]
    [InlineData(QemuArch.X64, 7, QemuOutcome.Panicked)]
    [InlineData(QemuArch.X64, 5, QemuOutcome.ExitedUnexpectedly)] // v=2: not a value Molt uses
    [InlineData(QemuArch.X64, 0, QemuOutcome.ExitedUnexpectedly)]
    [InlineData(QemuArch.Arm64, 0, QemuOutcome.Passed)]
    [InlineData(QemuArch.Arm64, 1, QemuOutcome.Failed)]
    [InlineData(QemuArch.Arm64, 3, QemuOutcome.Panicked)]
    [InlineData(QemuArch.Arm64, 7, QemuOutcome.ExitedUnexpectedly)]
    public void Decode_by_status_alone(QemuArch arch, int status, QemuOutcome expected) =>
        Assert.Equal(expected, ExitStatus.Decode(arch, status));

    private static (QemuOutcome, string) Classify(QemuArch arch, int? status, string serial, bool timedOut = false)
    {
        var lines = serial.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return Outcome.Classify(arch, timedOut, status, SerialOutput.Parse(lines), lines.Length, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Pass_needs_output_because_qemu_start_errors_also_exit_1()
    {
        var (o, why) = Classify(QemuArch.X64, 1, "");
        Assert.Equal(QemuOutcome.ExitedUnexpectedly, o);
        Assert.Contains("printed nothing", why);
        Assert.Equal(QemuOutcome.Passed, Classify(QemuArch.X64, 1, "Molt ready\n").Item1);
    }

    [Fact]
    public void Pass_with_failed_tests_is_a_failure()
    {
        var (o, why) = Classify(QemuArch.X64, 1, "PASS a\nFAIL b: no\n1 passed, 1 failed\n");
        Assert.Equal(QemuOutcome.Failed, o);
        Assert.Contains("1 failed", why);
    }

    [Fact]
    public void A_panic_line_makes_it_a_panic_whatever_the_status()
    {
        Assert.Equal(QemuOutcome.Panicked, Classify(QemuArch.X64, 7, "PANIC: boom\n").Item1);
        var (o, why) = Classify(QemuArch.Arm64, 0, "PANIC: boom\n");
        Assert.Equal(QemuOutcome.Panicked, o);
        Assert.Contains("boom", why);
    }

    [Fact]
    public void Time_out_wins_and_mentions_a_panic_that_did_not_exit()
    {
        var (o, why) = Classify(QemuArch.X64, null, "PANIC: stuck\n", timedOut: true);
        Assert.Equal(QemuOutcome.TimedOut, o);
        Assert.Contains("stuck", why);
        Assert.Contains("3 s", why);
    }

    [Fact]
    public void Status_0_on_x64_explains_the_triple_fault()
    {
        var (o, why) = Classify(QemuArch.X64, 0, "Molt x86_64 booting\n");
        Assert.Equal(QemuOutcome.ExitedUnexpectedly, o);
        Assert.Contains("triple fault", why);
    }

    [Fact]
    public void A_signal_is_named()
    {
        var (o, why) = Classify(QemuArch.X64, 137, "Molt x86_64 booting\n");
        Assert.Equal(QemuOutcome.ExitedUnexpectedly, o);
        Assert.Contains("signal 9", why);
    }
}
