using System.Diagnostics;
using System.Globalization;

namespace Molt.Load;

/// <summary>Figures for a set of requests: count, failures, rate, latency percentiles (microseconds).</summary>
public readonly record struct KvFigures(int Requests, int Failed, int Wrong, double Seconds, double RatePerSecond, double P50Us, double P99Us, double MaxUs)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests} requests ({Failed} failed, {Wrong} wrong) in {Seconds:F1} s: {RatePerSecond:F0}/s, p50 {P50Us / 1000:F2} ms, p99 {P99Us / 1000:F2} ms, max {MaxUs / 1000:F2} ms");
}

/// <summary>The longest stretch one connection went without an answer: from one completed request (or the start) to the next.</summary>
public readonly record struct KvGap(int Connection, long From, long To)
{
    public double Microseconds => (To - From) * 1e6 / Stopwatch.Frequency;
}

/// <summary>
/// What a load run saw: every request, the windows the caller marked
/// (updates), and the read-back. "Failed" is a request with no answer (a
/// connection error, a time-out) or a 5xx; "wrong" an answer that contradicts
/// the model of acknowledged writes during the run (a GET missing an
/// acknowledged value, say); "lost" a key whose read-back at the end is
/// not what the acknowledged writes left.
/// </summary>
public sealed class KvLoadReport
{
    public IReadOnlyList<KvSample> Samples { get; }
    public long StartTicks { get; }
    public long StopTicks { get; }
    public IReadOnlyList<(string Label, long Start, long End)> Windows { get; }
    public int KeysReadBack { get; }
    public IReadOnlyList<string> LostWrites { get; }
    public IReadOnlyList<string> ReadBackFailures { get; }
    /// <summary>The first errors seen (at most 20 per connection), for a failure message.</summary>
    public IReadOnlyList<string> Errors { get; }

    public KvLoadReport(IReadOnlyList<KvSample> samples, long start, long stop, IReadOnlyList<(string, long, long)> windows,
        int keysReadBack, IReadOnlyList<string> lost, IReadOnlyList<string> readBackFailures, IReadOnlyList<string> errors)
    {
        Samples = samples; StartTicks = start; StopTicks = stop; Windows = windows;
        KeysReadBack = keysReadBack; LostWrites = lost; ReadBackFailures = readBackFailures; Errors = errors;
    }

    public int Requests => Samples.Count;
    public int Failed => Samples.Count(s => s.Outcome == KvOutcome.Failed);
    public int Wrong => Samples.Count(s => s.Outcome == KvOutcome.Wrong);

    /// <summary>Every request of the run.</summary>
    public KvFigures All => Figures(Samples, Seconds(StartTicks, StopTicks));

    /// <summary>
    /// During the windows (updates): the latencies of the requests that overlap
    /// one (an update may have delayed them); the rate of the answers that came
    /// within one, over the time the windows cover.
    /// </summary>
    public KvFigures During => Figures(Samples.Where(InAnyWindow), WindowSeconds, Samples.Count(s => EndsInAnyWindow(s)));

    /// <summary>The same run seen through only the windows whose label <paramref name="keep"/> accepts (the others count as outside).</summary>
    public KvLoadReport OnlyWindows(Func<string, bool> keep) =>
        new(Samples, StartTicks, StopTicks, Windows.Where(w => keep(w.Label)).ToList(), KeysReadBack, LostWrites, ReadBackFailures, Errors);

    /// <summary>Outside them: the requests that overlap no window; the rate of the answers that came outside every window, over the rest of the run's time.</summary>
    public KvFigures Outside => Figures(Samples.Where(s => !InAnyWindow(s)), Math.Max(1e-9, Seconds(StartTicks, StopTicks) - WindowSeconds), Samples.Count(s => !EndsInAnyWindow(s)));

    /// <summary>The longest gap on any connection in the whole run.</summary>
    public KvGap LongestGap => Gaps().MaxBy(g => g.To - g.From);

    /// <summary>The longest gap on any connection that overlaps a window (an update); default when none does.</summary>
    public KvGap LongestGapDuringWindows => Gaps().Where(g => Windows.Any(w => g.From < w.End && g.To > w.Start)).DefaultIfEmpty().MaxBy(g => g.To - g.From);

    /// <summary>The longest gap on any connection that overlaps no window: the pauses the service has anyway (the yardstick for the one above).</summary>
    public KvGap LongestGapOutsideWindows => Gaps().Where(g => !Windows.Any(w => g.From < w.End && g.To > w.Start)).DefaultIfEmpty().MaxBy(g => g.To - g.From);

    private bool EndsInAnyWindow(KvSample s)
    {
        foreach (var w in Windows) if (s.End >= w.Start && s.End < w.End) return true;
        return false;
    }

    private bool InAnyWindow(KvSample s)
    {
        foreach (var w in Windows) if (s.Start < w.End && s.End > w.Start) return true;
        return false;
    }

    /// <summary>Seconds covered by the windows (overlaps counted once), clipped to the run.</summary>
    private double WindowSeconds
    {
        get
        {
            long covered = 0, until = long.MinValue;
            foreach (var w in Windows.OrderBy(w => w.Start))
            {
                long from = Math.Max(Math.Max(w.Start, until), StartTicks), to = Math.Min(w.End, StopTicks);
                if (to > from) covered += to - from;
                until = Math.Max(until, w.End);
            }
            return (double)covered / Stopwatch.Frequency;
        }
    }

    private IEnumerable<KvGap> Gaps()
    {
        foreach (var conn in Samples.GroupBy(s => s.Connection))
        {
            long last = StartTicks;
            foreach (var s in conn.OrderBy(s => s.End))
            {
                // A gap ends with an answer; a failed request is no answer.
                if (s.Outcome == KvOutcome.Failed) continue;
                yield return new KvGap(conn.Key, last, s.End);
                last = s.End;
            }
            if (StopTicks > last) yield return new KvGap(conn.Key, last, StopTicks);
        }
    }

    private static double Seconds(long from, long to) => (double)(to - from) / Stopwatch.Frequency;

    /// <summary>Figures of <paramref name="samples"/>; the rate is <paramref name="answered"/> (default: the samples' count) over <paramref name="seconds"/>.</summary>
    public static KvFigures Figures(IEnumerable<KvSample> samples, double seconds, int answered = -1)
    {
        var list = samples.ToList();
        var latencies = list.Select(s => s.LatencyUs).OrderBy(x => x).ToArray();
        double P(double q) => latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        return new KvFigures(list.Count, list.Count(s => s.Outcome == KvOutcome.Failed), list.Count(s => s.Outcome == KvOutcome.Wrong),
            seconds, seconds > 0 ? (answered < 0 ? list.Count : answered) / seconds : 0, P(0.50), P(0.99), latencies.Length == 0 ? 0 : latencies[^1]);
    }

    public override string ToString()
    {
        var g = LongestGap;
        string s = string.Create(CultureInfo.InvariantCulture,
            $"{All}; {KeysReadBack} keys read back, {LostWrites.Count} lost acknowledged writes, {ReadBackFailures.Count} read-back failures; longest gap {g.Microseconds / 1000:F1} ms (connection {g.Connection})");
        if (Windows.Count > 0) s += $"\n  outside {Windows.Count} windows: {Outside}\n  during them: {During}; longest gap during one {LongestGapDuringWindows.Microseconds / 1000:F1} ms";
        return s;
    }

    /// <summary>Everything that went wrong, one line each (empty when nothing did).</summary>
    public string Problems() => string.Join("\n", Errors.Concat(LostWrites.Select(l => "lost: " + l)).Concat(ReadBackFailures.Select(f => "read-back failed: " + f)));
}
