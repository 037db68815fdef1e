using System.Diagnostics;
using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Runner;

/// <summary>
/// QemuRunner's process handling, with a shell script standing in for QEMU:
/// exit codes, CRLF serial lines, and the time-out killing a whole process
/// tree. Needs no QEMU, so it runs everywhere.
/// </summary>
public sealed class QemuRunnerProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("molt-fakeqemu-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private QemuRunOptions Fake(string script, QemuArch arch = QemuArch.X64, double timeoutSeconds = 10)
    {
        string qemu = Path.Combine(_dir, "fake-qemu");
        File.WriteAllText(qemu, "#!/bin/sh\n" + script + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(qemu, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string kernel = Path.Combine(_dir, "kernel.elf");
        File.WriteAllText(kernel, "");
        return new QemuRunOptions { Arch = arch, KernelPath = kernel, QemuBinary = qemu, Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
    }

    [Fact]
    public async Task A_passing_x64_run_with_crlf_lines()
    {
        var lines = new List<string>();
        var r = await QemuRunner.QemuRunner.RunAsync(Fake("printf 'PASS a.b\\r\\nPASS c\\r\\n2 passed, 0 failed\\r\\n'; exit 1"), lines.Add);
        Assert.Equal(QemuOutcome.Passed, r.Outcome);
        Assert.Equal(["PASS a.b", "PASS c", "2 passed, 0 failed"], r.SerialLines);
        Assert.Equal(r.SerialLines, lines);
        Assert.Equal(new KernelTestCounts(2, 0), r.Counts);
        Assert.Equal(1, r.ExitStatus);
        Assert.Equal(0, r.KernelExitValue);
        Assert.Equal("-M", r.CommandLine[1]);
    }

    [Fact]
    public async Task A_panic_with_status_7()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Fake("echo 'PANIC: DivideByZeroException: x'; echo Backtrace:; echo '  #00 f+0x1 (0x10)'; exit 7"));
        Assert.Equal(QemuOutcome.Panicked, r.Outcome);
        Assert.Equal("DivideByZeroException: x", r.PanicReason);
        Assert.Equal(3, r.KernelExitValue);
    }

    [Fact]
    public async Task Qemu_failing_to_start_is_not_a_pass_and_shows_its_error()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Fake("echo \"qemu: could not open kernel file\" >&2; exit 1"));
        Assert.Equal(QemuOutcome.ExitedUnexpectedly, r.Outcome);
        Assert.Contains("could not open kernel file", r.StandardError);
        Assert.Contains("qemu: qemu: could not open kernel file", r.Describe());
    }

    [Theory]
    [InlineData(0, QemuOutcome.Passed)]
    [InlineData(1, QemuOutcome.Failed)]
    [InlineData(3, QemuOutcome.Panicked)]
    [InlineData(9, QemuOutcome.ExitedUnexpectedly)]
    public async Task Arm64_semihosting_statuses(int status, QemuOutcome expected)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Fake($"echo 'Molt aarch64 booting'; exit {status}", QemuArch.Arm64));
        Assert.Equal(expected, r.Outcome);
    }

    [Fact]
    public async Task A_hang_is_killed_at_the_time_out_with_its_last_lines_and_children()
    {
        string childPid = Path.Combine(_dir, "child.pid");
        var options = Fake($"i=0; while [ $i -lt 30 ]; do echo \"line $i\"; i=$((i+1)); done; sleep 300 & echo $! > {childPid}; wait", timeoutSeconds: 1);
        var clock = Stopwatch.StartNew();
        var r = await QemuRunner.QemuRunner.RunAsync(options);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
        Assert.Equal(QemuOutcome.TimedOut, r.Outcome);
        Assert.Null(r.ExitStatus);
        Assert.Equal(Enumerable.Range(10, 20).Select(i => $"line {i}"), r.LastLines());
        string report = r.Describe();
        Assert.Contains("TimedOut: timed out after 1 s", report);
        Assert.Contains("last 20 serial line(s) of 30", report);
        Assert.Contains("| line 29", report);
        Assert.DoesNotContain("| line 9\n", report);

        int pid = int.Parse(File.ReadAllText(childPid).Trim());
        Assert.True(SpinWait.SpinUntil(() => !Alive(pid), TimeSpan.FromSeconds(5)), $"child {pid} of the fake QEMU survived the kill");
    }

    // A killed child may linger as a zombie until its new parent reaps it: that is dead enough.
    private static bool Alive(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z'); }
        catch (IOException) { return false; }
    }

    [Fact]
    public async Task Cancellation_kills_qemu_and_throws()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            QemuRunner.QemuRunner.RunAsync(Fake("exec sleep 300"), cancellationToken: cts.Token));
    }

    [Fact]
    public void Serial_capture_keeps_head_and_tail_of_a_flood()
    {
        var c = new SerialCapture(maxLines: 10);
        for (int i = 0; i < 100; i++) c.Add($"l{i}");
        var lines = c.Lines();
        Assert.Equal(["l0", "l1", "l2", "l3", "l4"], lines.Take(5));
        Assert.Contains("90 serial lines dropped", lines[5]);
        Assert.Equal(["l95", "l96", "l97", "l98", "l99"], lines.Skip(6));
    }
}
