using System.Globalization;
using System.Text.RegularExpressions;

namespace Molt.QemuRunner;

/// <summary>
/// What the kernel said on its serial console, read from the fixed line
/// formats it prints (kernel/Testing/TestRunner.cs, kernel/Diagnostics/Panic.cs
/// and Backtrace.cs, kernel/Kernel.cs). Parsing is kept apart from running
/// QEMU so it can be unit-tested on captured text.
/// </summary>
public sealed partial record SerialOutput
{
    /// <summary>Every PASS/FAIL line in order.</summary>
    public IReadOnlyList<KernelTestResult> Tests { get; init; } = [];

    /// <summary>The closing <c>N passed, N failed</c> line, if the suite got that far.</summary>
    public KernelTestCounts? Counts { get; init; }

    /// <summary>Text after the first <c>PANIC: </c>, if the kernel panicked.</summary>
    public string? PanicReason { get; init; }

    /// <summary>The frames listed under the first <c>Backtrace:</c>.</summary>
    public IReadOnlyList<BacktraceFrame> Backtrace { get; init; } = [];

    /// <summary>True once a line reads exactly <c>Molt ready</c>.</summary>
    public bool Ready { get; init; }

    /// <summary>N from <c>boot: Molt ready in N ms</c>, if printed.</summary>
    public int? BootMilliseconds { get; init; }

    /// <summary>True once the kernel printed <c>System halted.</c> after a panic.</summary>
    public bool Halted { get; init; }

    /// <summary>Reads serial lines (without line terminators) into their meaning.</summary>
    public static SerialOutput Parse(IEnumerable<string> lines)
    {
        var tests = new List<KernelTestResult>();
        var frames = new List<BacktraceFrame>();
        KernelTestCounts? counts = null;
        string? panic = null;
        bool ready = false, halted = false, inBacktrace = false, backtraceDone = false;
        int? bootMs = null;

        foreach (var raw in lines)
        {
            string line = raw.TrimEnd('\r', '\n');
            if (inBacktrace)
            {
                var f = FrameLine().Match(line);
                if (f.Success) { frames.Add(ToFrame(f)); continue; }
                inBacktrace = false;
                backtraceDone = true;
            }

            Match m;
            if ((m = PassLine().Match(line)).Success)
                tests.Add(new KernelTestResult(m.Groups[1].Value, true, null));
            else if ((m = FailLine().Match(line)).Success)
                tests.Add(new KernelTestResult(m.Groups[1].Value, false, m.Groups[2].Success ? m.Groups[2].Value : ""));
            else if ((m = CountsLine().Match(line)).Success)
                counts = new KernelTestCounts(Int(m.Groups[1].Value), Int(m.Groups[2].Value));
            else if (line.StartsWith("PANIC: ", StringComparison.Ordinal))
                panic ??= line["PANIC: ".Length..];
            else if (line == "Backtrace:" && !backtraceDone)
                inBacktrace = true;
            else if (line == "Molt ready")
                ready = true;
            else if (line == "System halted.")
                halted = true;
            else if ((m = ReadyLine().Match(line)).Success)
                bootMs = Int(m.Groups[1].Value);
        }

        return new SerialOutput
        {
            Tests = tests, Counts = counts, PanicReason = panic, Backtrace = frames,
            Ready = ready, BootMilliseconds = bootMs, Halted = halted,
        };
    }

    private static BacktraceFrame ToFrame(Match m)
    {
        string symbol = m.Groups[2].Value;
        return new BacktraceFrame(
            Int(m.Groups[1].Value),
            symbol == "?" ? null : symbol,
            m.Groups[3].Success ? Hex(m.Groups[3].Value) : 0,
            Hex(m.Groups[4].Value));
    }

    // Counts and indices are small; a number too big for int means the line is garbage, kept as int.MaxValue.
    private static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : int.MaxValue;
    private static ulong Hex(string s) => ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : 0;

    [GeneratedRegex(@"^PASS (\S+)$")]
    private static partial Regex PassLine();

    [GeneratedRegex(@"^FAIL (\S+?)(?:: (.*))?$")]
    private static partial Regex FailLine();

    [GeneratedRegex(@"^(\d+) passed, (\d+) failed$")]
    private static partial Regex CountsLine();

    [GeneratedRegex(@"^\s+#(\d+) (\?|\S+?)(?:\+0x([0-9a-fA-F]+))? \(0x([0-9a-fA-F]+)\)$")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"boot: Molt ready in (\d+) ms$")]
    private static partial Regex ReadyLine();
}
