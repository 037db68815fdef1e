namespace Molt.QemuRunner;

/// <summary>
/// What a boot came to, decoded from QEMU's exit status and the serial
/// output. Only <see cref="Passed"/> is success; the others say which kind of
/// failure to look into.
/// </summary>
public enum QemuOutcome
{
    /// <summary>The kernel asked to exit with "pass" (v=0).</summary>
    Passed,

    /// <summary>The kernel asked to exit with "tests failed" (v=1), or said pass while its serial output showed failures.</summary>
    Failed,

    /// <summary>The kernel panicked (v=3) or printed a <c>PANIC: </c> line.</summary>
    Panicked,

    /// <summary>QEMU was still running at the time-out and was killed.</summary>
    TimedOut,

    /// <summary>QEMU exited without a known exit value: a reset, a triple fault, QEMU's own error, a signal.</summary>
    ExitedUnexpectedly,
}
