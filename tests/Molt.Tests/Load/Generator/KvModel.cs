namespace Molt.Load;

/// <summary>
/// What one connection knows its keys hold: the model of ACKNOWLEDGED
/// writes. A PUT answered 201/204 means the key now holds that value; a
/// DELETE answered 204 (or 404) means it holds nothing. Each connection owns
/// its keys and sends one request at a time, so the model is exact: nobody
/// else can change a key between two of its requests.
/// A request that got no answer (connection error, time-out, 5xx) may or
/// may not have been applied: the key then holds one of several possible
/// states until an answer shows which (a GET, a 201 vs 204, a new write).
/// </summary>
public sealed class KvModel
{
    /// <summary>The possible states of each key: a value, or null for "absent". One element when exact.</summary>
    private readonly Dictionary<string, List<byte[]?>> _keys = new();

    public KvModel(IEnumerable<string> keys)
    {
        foreach (string k in keys) _keys[k] = [null];
    }

    public IEnumerable<string> Keys => _keys.Keys;

    public IReadOnlyList<byte[]?> Possible(string key) => _keys[key];

    /// <summary>True if <paramref name="value"/> (null: absent) is a state the key may be in.</summary>
    public bool Allows(string key, byte[]? value) => _keys[key].Any(p => Same(p, value));

    public bool MayExist(string key) => _keys[key].Any(p => p != null);
    public bool MayBeAbsent(string key) => _keys[key].Any(p => p == null);

    /// <summary>The key now certainly holds <paramref name="value"/> (null: absent).</summary>
    public void Set(string key, byte[]? value) => _keys[key] = [value];

    /// <summary>A request whose effect is unknown: the key holds its old state or <paramref name="value"/>.</summary>
    public void MaybeSet(string key, byte[]? value)
    {
        if (!Allows(key, value)) _keys[key].Add(value);
    }

    /// <summary>Keeps only the states that match what the server showed (a GET, a 201 or 204); false if none did.</summary>
    public bool Observe(string key, Func<byte[]?, bool> matches)
    {
        var kept = _keys[key].Where(matches).ToList();
        if (kept.Count == 0) return false;
        _keys[key] = kept;
        return true;
    }

    public static bool Same(byte[]? a, byte[]? b) => a == null ? b == null : b != null && a.AsSpan().SequenceEqual(b);
}
