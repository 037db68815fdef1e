namespace Molt.TestDriver;

/// <summary>
/// The running totals over every suite. Each host test and each in-kernel
/// test line counts as one; a suite that could not run at all (panic, hang,
/// build failure) counts as one failure so it can't vanish from the total.
/// </summary>
public sealed class Tally
{
    /// <summary>Tests that passed.</summary>
    public int Passed { get; private set; }

    /// <summary>Tests (or whole suites) that failed.</summary>
    public int Failed { get; private set; }

    /// <summary>Tests or configurations that could not run here, each with a printed reason.</summary>
    public int Skipped { get; private set; }

    /// <summary>Adds counts from one suite.</summary>
    public void Add(int passed, int failed, int skipped = 0)
    {
        Passed += passed;
        Failed += failed;
        Skipped += skipped;
    }

    /// <summary>
    /// The closing line, exactly <c>N passed, N failed</c>, with
    /// <c>, N skipped</c> only when something was skipped: the form CI reads.
    /// </summary>
    public string Summary() => Skipped > 0
        ? $"{Passed} passed, {Failed} failed, {Skipped} skipped"
        : $"{Passed} passed, {Failed} failed";

    /// <summary>True when nothing failed and at least one test ran.</summary>
    public bool Succeeded => Failed == 0 && Passed > 0;
}
