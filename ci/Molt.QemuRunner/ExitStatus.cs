namespace Molt.QemuRunner;

/// <summary>
/// Turns QEMU's exit status into the value v the kernel asked to exit with.
/// The two architectures differ: on x64 the kernel writes v to the
/// isa-debug-exit port and QEMU exits with (v &lt;&lt; 1) | 1, so an even status
/// (0 after a triple fault with -no-reboot) never came from the kernel; on
/// arm64 semihosting SYS_EXIT makes QEMU exit with v itself.
/// </summary>
public static class ExitStatus
{
    /// <summary>v for "all passed" (or a plain <c>exit</c>).</summary>
    public const int Pass = 0;

    /// <summary>v for "tests failed".</summary>
    public const int TestsFailed = 1;

    /// <summary>v for a panic.</summary>
    public const int Panic = 3;

    /// <summary>The kernel's exit value for a QEMU exit status, or null if the status can't have come from the kernel.</summary>
    public static int? KernelValue(QemuArch arch, int status) => arch switch
    {
        QemuArch.X64 => status > 0 && (status & 1) == 1 && status <= 0xFF ? status >> 1 : null,
        QemuArch.Arm64 => status is >= 0 and <= 0xFF ? status : null,
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, null),
    };

    /// <summary>
    /// The outcome the exit status alone says. Unknown values are
    /// <see cref="QemuOutcome.ExitedUnexpectedly"/>; <see cref="Outcome"/>
    /// then checks it against the serial output.
    /// </summary>
    public static QemuOutcome Decode(QemuArch arch, int status) => KernelValue(arch, status) switch
    {
        Pass => QemuOutcome.Passed,
        TestsFailed => QemuOutcome.Failed,
        Panic => QemuOutcome.Panicked,
        _ => QemuOutcome.ExitedUnexpectedly,
    };

    /// <summary>The status QEMU exits with when the kernel asks for v; the inverse of <see cref="KernelValue"/>.</summary>
    public static int ForKernelValue(QemuArch arch, int v) => arch == QemuArch.X64 ? (v << 1) | 1 : v;
}
