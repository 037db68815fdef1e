using System.Text;

namespace Molt.QemuRunner;

/// <summary>
/// Everything one boot produced: the raw serial lines and exit status, and
/// what they mean. Failures carry enough (outcome, reason, last lines) for a
/// CI log to show what went wrong without a rerun.
/// </summary>
public sealed record QemuResult
{
    /// <summary>How many serial lines <see cref="Describe"/> shows for a failed run.</summary>
    public const int TailLines = 20;

    /// <summary>The options the run was made with.</summary>
    public required QemuRunOptions Options { get; init; }

    /// <summary>The QEMU command line, for reproducing the run by hand.</summary>
    public required IReadOnlyList<string> CommandLine { get; init; }

    /// <summary>Every line the guest printed on its serial port, without line terminators.</summary>
    public required IReadOnlyList<string> SerialLines { get; init; }

    /// <summary>What QEMU itself printed on stderr (its own errors and warnings).</summary>
    public required string StandardError { get; init; }

    /// <summary>The decoded outcome.</summary>
    public required QemuOutcome Outcome { get; init; }

    /// <summary>Why the outcome is what it is, in one line.</summary>
    public required string Reason { get; init; }

    /// <summary>QEMU's exit status; null when it was killed at the time-out.</summary>
    public int? ExitStatus { get; init; }

    /// <summary>The value the kernel asked to exit with, decoded per architecture; null if none.</summary>
    public int? KernelExitValue { get; init; }

    /// <summary>Wall time from starting QEMU to its exit (or kill).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The parsed serial output.</summary>
    public required SerialOutput Serial { get; init; }

    /// <summary>The suite's <c>N passed, N failed</c> counts, if printed.</summary>
    public KernelTestCounts? Counts => Serial.Counts;

    /// <summary>The PASS/FAIL lines.</summary>
    public IReadOnlyList<KernelTestResult> Tests => Serial.Tests;

    /// <summary>The text after <c>PANIC: </c>, if any.</summary>
    public string? PanicReason => Serial.PanicReason;

    /// <summary>True only for <see cref="QemuOutcome.Passed"/>.</summary>
    public bool Succeeded => Outcome == QemuOutcome.Passed;

    /// <summary>The last <paramref name="count"/> serial lines.</summary>
    public IReadOnlyList<string> LastLines(int count = TailLines) =>
        SerialLines.Skip(Math.Max(0, SerialLines.Count - count)).ToList();

    /// <summary>
    /// A multi-line account for logs and assertion messages: outcome and
    /// reason (unless <paramref name="headline"/> is false, for a caller that
    /// already said them), the command, QEMU's stderr and, unless the run
    /// passed, the last <see cref="TailLines"/> serial lines.
    /// </summary>
    public string Describe(bool headline = true)
    {
        var sb = new StringBuilder();
        if (headline)
        {
            sb.Append($"[{Options.Label}] {Outcome}: {Reason} ({Duration.TotalSeconds:0.00} s");
            sb.Append(ExitStatus is int s ? $", QEMU status {s})" : ")").Append('\n');
        }
        sb.Append("  command: ").Append(string.Join(' ', CommandLine.Select(Quote))).Append('\n');
        if (!string.IsNullOrWhiteSpace(StandardError))
            foreach (var line in StandardError.TrimEnd().Split('\n'))
                sb.Append("  qemu: ").Append(line.TrimEnd('\r')).Append('\n');
        if (!Succeeded)
        {
            var tail = LastLines();
            sb.Append($"  last {tail.Count} serial line(s) of {SerialLines.Count}:\n");
            foreach (var line in tail) sb.Append("  | ").Append(line).Append('\n');
        }
        return sb.ToString().TrimEnd('\n');
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_=.,/:+@".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''")}'";
}
