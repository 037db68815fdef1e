namespace Molt.QemuRunner;

/// <summary>
/// Decides a run's outcome from everything known about it: whether it timed
/// out, QEMU's exit status and what the kernel printed. The exit status is
/// trusted only when the serial output agrees, because a status can lie:
/// QEMU's own start-up errors exit with 1, which on x64 is the kernel's "pass".
/// </summary>
public static class Outcome
{
    /// <summary>The outcome and a one-line explanation of it.</summary>
    public static (QemuOutcome Outcome, string Why) Classify(
        QemuArch arch, bool timedOut, int? exitStatus, SerialOutput serial, int serialLineCount, TimeSpan timeout)
    {
        if (timedOut)
            return (QemuOutcome.TimedOut, serial.PanicReason is { } p
                ? $"timed out after {timeout.TotalSeconds:0.##} s after a panic that did not exit: {p}"
                : $"timed out after {timeout.TotalSeconds:0.##} s: QEMU was still running and was killed");
        if (exitStatus is not int status)
            return (QemuOutcome.ExitedUnexpectedly, "QEMU's exit status is unknown");

        var decoded = ExitStatus.Decode(arch, status);
        int failedLines = serial.Tests.Count(t => !t.Passed);
        int failedCount = Math.Max(failedLines, serial.Counts?.Failed ?? 0);

        if (serialLineCount == 0 && decoded != QemuOutcome.ExitedUnexpectedly)
            return (QemuOutcome.ExitedUnexpectedly, $"QEMU exited with status {status} but the kernel printed nothing (did QEMU fail to start?)");
        if (serial.PanicReason is { } reason)
            return (QemuOutcome.Panicked, decoded == QemuOutcome.Panicked
                ? $"kernel panicked: {reason}"
                : $"kernel printed a panic ({reason}) and QEMU exited with status {status}");

        switch (decoded)
        {
            case QemuOutcome.Passed when failedCount > 0:
                return (QemuOutcome.Failed, $"exit status said pass, but the serial output shows {failedCount} failed");
            case QemuOutcome.Passed:
                return (QemuOutcome.Passed, "kernel exited with pass");
            case QemuOutcome.Failed:
                return (QemuOutcome.Failed, failedCount > 0 ? $"{failedCount} in-kernel test(s) failed" : "kernel exited with \"tests failed\"");
            case QemuOutcome.Panicked:
                return (QemuOutcome.Panicked, "kernel exited with the panic value but printed no PANIC line");
            default:
                return (QemuOutcome.ExitedUnexpectedly, Unexpected(arch, status));
        }
    }

    private static string Unexpected(QemuArch arch, int status)
    {
        if (arch == QemuArch.X64 && status == 0)
            return "QEMU exited with status 0: the guest reset or shut down without using the exit port (a triple fault under -no-reboot?)";
        if (status > 128 && status < 160)
            return $"QEMU exited with status {status} (killed by signal {status - 128}?)";
        return ExitStatus.KernelValue(arch, status) is int v
            ? $"QEMU exited with status {status}: kernel exit value {v} is not one Molt uses (0 pass, 1 failed, 3 panic)"
            : $"QEMU exited with status {status}, which the kernel can't have asked for";
    }
}
