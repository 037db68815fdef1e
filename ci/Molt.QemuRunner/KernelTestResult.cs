namespace Molt.QemuRunner;

/// <summary>One <c>PASS name</c> or <c>FAIL name: why</c> line of the in-kernel suite.</summary>
/// <param name="Name">The test's name, such as <c>heap.free</c>.</param>
/// <param name="Passed">True for PASS.</param>
/// <param name="Reason">What a FAIL line said after the colon; null for PASS.</param>
public sealed record KernelTestResult(string Name, bool Passed, string? Reason);

/// <summary>The suite's closing <c>N passed, N failed</c> line, as the kernel counted.</summary>
/// <param name="Passed">Tests that passed.</param>
/// <param name="Failed">Tests that failed.</param>
public sealed record KernelTestCounts(int Passed, int Failed);

/// <summary>One symbolized (or not) frame of a panic's <c>Backtrace:</c>.</summary>
/// <param name="Index">The frame number after <c>#</c>.</param>
/// <param name="Symbol">The symbol name, or null when the kernel printed <c>?</c>.</param>
/// <param name="Offset">Offset into the symbol.</param>
/// <param name="Address">The return address.</param>
public sealed record BacktraceFrame(int Index, string? Symbol, ulong Offset, ulong Address);
