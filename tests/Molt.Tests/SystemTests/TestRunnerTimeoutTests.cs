using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The in-kernel runner's per-test time-out: a test that never returns
/// (<c>testing.hang</c>, registered only with <c>test.hang</c>) is reported as
/// <c>FAIL testing.hang: timed out after 2 s</c>, the tests after it still
/// run, and the run ends on its summary line instead of stalling until QEMU is killed.
/// </summary>
public class TestRunnerTimeoutTests
{
    [Theory, OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task A_hung_test_is_reported_as_timed_out_and_the_run_ends_with_its_summary(QemuArch arch)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.TestKernelElf(arch),
            CommandLine = "test test.filter=testing. test.hang test.timeout=2",
            Cpus = 2,
            Timeout = TimeSpan.FromSeconds(60),
        });
        Assert.True(r.Outcome == QemuOutcome.Failed, r.Describe());
        var hang = Assert.Single(r.Serial.Tests, t => t.Name == "testing.hang");
        Assert.False(hang.Passed);
        Assert.Equal("timed out after 2 s", hang.Reason);
        Assert.Contains(r.Serial.Tests, t => t.Name == "testing.own_thread" && t.Passed);
        Assert.Equal(new KernelTestCounts(1, 1), r.Counts);
        Assert.Contains(r.SerialLines, l => l.EndsWith("test: warning: 1 timed-out tests left their threads running"));
    }

    [Theory, OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task Without_the_switch_the_hanging_test_is_not_registered(QemuArch arch)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.TestKernelElf(arch),
            CommandLine = "test test.filter=testing.",
            Timeout = TimeSpan.FromSeconds(60),
        });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.DoesNotContain(r.Serial.Tests, t => t.Name == "testing.hang");
        Assert.Equal(new KernelTestCounts(1, 0), r.Counts);
    }
}
