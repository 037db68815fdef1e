namespace Molt.Tests.Net.Lossy;

/// <summary>
/// One direction of a bad link, in real time: each frame is dropped,
/// corrupted (one bit flipped anywhere in it), held back and released after
/// the next frame (reordered) or duplicated, each with its own probability,
/// from a fixed seed. A frame held back with no frame after it leaves after
/// <see cref="HoldMicroseconds"/> (<see cref="Flush"/>), so a lone last segment
/// is late, not lost. Thread-safe: the frames of one direction may come from
/// several threads; delivery happens under the impairment's lock, so the
/// order it decides is the order the receiver sees.
/// </summary>
public sealed class FrameImpairment
{
    private readonly object _gate = new();
    private readonly Random _rng;
    private byte[]? _held;
    private long _heldAt;

    public double Drop, Duplicate, Reorder, Corrupt;
    public long HoldMicroseconds = 5_000;
    public int Frames, Dropped, Duplicated, Reordered, Corrupted;

    public FrameImpairment(int seed, double drop, double duplicate, double reorder, double corrupt)
    {
        _rng = new Random(seed);
        Drop = drop; Duplicate = duplicate; Reorder = reorder; Corrupt = corrupt;
    }

    /// <summary>Passes <paramref name="frame"/> (which the impairment may keep and change) to <paramref name="deliver"/> zero, one or two times, perhaps after a later frame.</summary>
    public void Pass(byte[] frame, long nowMicroseconds, Action<byte[]> deliver)
    {
        lock (_gate)
        {
            Frames++;
            if (_rng.NextDouble() < Drop) { Dropped++; return; }
            if (_rng.NextDouble() < Corrupt && frame.Length > 0)
            {
                frame[_rng.Next(frame.Length)] ^= (byte)(1 << _rng.Next(8));
                Corrupted++;
            }
            if (_held == null && _rng.NextDouble() < Reorder)
            {
                _held = frame; _heldAt = nowMicroseconds; Reordered++;
                return;
            }
            deliver(frame);
            if (_rng.NextDouble() < Duplicate) { deliver((byte[])frame.Clone()); Duplicated++; }
            if (_held != null) { deliver(_held); _held = null; }
        }
    }

    /// <summary>Releases a frame held back longer than <see cref="HoldMicroseconds"/>.</summary>
    public void Flush(long nowMicroseconds, Action<byte[]> deliver)
    {
        lock (_gate)
        {
            if (_held != null && nowMicroseconds - _heldAt >= HoldMicroseconds) { deliver(_held); _held = null; }
        }
    }

    public override string ToString() =>
        $"{Frames} frames: {Dropped} dropped, {Corrupted} corrupted, {Reordered} reordered, {Duplicated} duplicated";
}
