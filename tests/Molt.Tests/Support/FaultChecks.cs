using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Support;

/// <summary>What a deliberate fault (<c>fault=KIND</c>) must produce on every architecture.</summary>
public static class FaultChecks
{
    /// <summary>
    /// The run panicked with <paramref name="exitStatus"/> (the arch's encoding of the kernel's 3),
    /// its reason starts with <paramref name="reasonStart"/>, the backtrace has a
    /// symbolized kernel frame, and the kernel halted.
    /// </summary>
    public static void AssertPanicked(QemuResult r, string fault, string reasonStart, int exitStatus)
    {
        Assert.True(r.Outcome == QemuOutcome.Panicked, r.Describe());
        Assert.Equal(exitStatus, r.ExitStatus);
        Assert.NotNull(r.PanicReason);
        Assert.StartsWith(reasonStart, r.PanicReason);
        if (fault == "throw") Assert.EndsWith("InvalidOperationException: deliberate throw", r.PanicReason);
        Assert.True(r.Serial.Backtrace.Any(f => f.Symbol != null && f.Symbol.StartsWith("molt_", StringComparison.Ordinal)), r.Describe());
        Assert.True(r.Serial.Halted, r.Describe());
    }
}
