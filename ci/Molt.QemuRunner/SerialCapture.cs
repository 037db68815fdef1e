namespace Molt.QemuRunner;

/// <summary>
/// Collects serial lines as they arrive, with a bound: a kernel stuck in a
/// printing loop until the time-out must not exhaust the runner's memory.
/// Past <see cref="MaxLines"/> it keeps only the most recent lines, which
/// are what a hang report needs, and notes how many it dropped.
/// </summary>
public sealed class SerialCapture(int maxLines = SerialCapture.DefaultMaxLines)
{
    /// <summary>Default bound on kept lines.</summary>
    public const int DefaultMaxLines = 100_000;

    private readonly List<string> _head = [];
    private readonly Queue<string> _tail = new();
    private long _dropped;

    /// <summary>The bound this capture was made with.</summary>
    public int MaxLines { get; } = maxLines;

    /// <summary>Adds one line; safe to call from the reader thread while others read.</summary>
    public void Add(string line)
    {
        lock (_head)
        {
            if (_head.Count < MaxLines / 2) { _head.Add(line); return; }
            _tail.Enqueue(line);
            if (_tail.Count > MaxLines / 2) { _tail.Dequeue(); _dropped++; }
        }
    }

    /// <summary>The lines so far: all of them, or the first and last halves around a marker.</summary>
    public IReadOnlyList<string> Lines()
    {
        lock (_head)
        {
            var all = new List<string>(_head.Count + _tail.Count + 1);
            all.AddRange(_head);
            if (_dropped > 0) all.Add($"[molt-qemu-runner: {_dropped} serial lines dropped]");
            all.AddRange(_tail);
            return all;
        }
    }
}
