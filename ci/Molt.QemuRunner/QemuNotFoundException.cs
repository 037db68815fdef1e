namespace Molt.QemuRunner;

/// <summary>
/// QEMU (or a file a run needs) is not there. A distinct type so callers can
/// report "install QEMU" instead of a stack trace, and tests can skip.
/// </summary>
public sealed class QemuNotFoundException(string message) : Exception(message);
