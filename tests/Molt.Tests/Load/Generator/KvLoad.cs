using System.Diagnostics;
using System.Net;
using System.Text;

namespace Molt.Load;

public enum KvOp : byte { Get, Put, Delete }

/// <summary>How a request ended: answered as the model says, failed (no answer, a time-out, a 5xx), or answered against the model.</summary>
public enum KvOutcome : byte { Ok, Failed, Wrong }

/// <summary>One request: when it started and ended (Stopwatch ticks), what it was, its status (0: no answer).</summary>
public readonly record struct KvSample(long Start, long End, int Connection, KvOp Op, string Key, short Status, KvOutcome Outcome)
{
    public double LatencyUs => (End - Start) * 1e6 / Stopwatch.Frequency;
}

public sealed record KvLoadOptions
{
    /// <summary>The KV service (its <c>/kv/&lt;key&gt;</c>).</summary>
    public required IPEndPoint Endpoint { get; init; }

    /// <summary>
    /// Keep-alive connections, one thread each, one request in flight each.
    /// A worker of Molt's KV server serves one connection until it closes
    /// (kv.workers=, 64 by default; the host double has 4): stay below the
    /// count to leave a worker for probes.
    /// </summary>
    public int Connections { get; init; } = 3;

    /// <summary>Keys per connection (each connection owns its own, so the model is exact).</summary>
    public int KeysPerConnection { get; init; } = 32;

    /// <summary>The mix, in percent: GET, then PUT; DELETE is the rest.</summary>
    public int GetPercent { get; init; } = 50;
    public int PutPercent { get; init; } = 35;

    /// <summary>Each connection first PUTs every one of its keys once (counted as requests), so a read-only mix has values to read.</summary>
    public bool Populate { get; init; }

    /// <summary>Value sizes (bytes, inclusive).</summary>
    public int MinValueBytes { get; init; } = 8;
    public int MaxValueBytes { get; init; } = 160;

    /// <summary>Each connection's random sequence starts from Seed + its index: with a fixed count of requests the run's requests are fixed too.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Requests per connection, then it stops (0: until <see cref="KvLoad.Stop"/>).</summary>
    public int RequestsPerConnection { get; init; }

    /// <summary>Paced requests per second per connection (0: as fast as answers come).</summary>
    public double RatePerConnection { get; init; }

    /// <summary>A request with no complete answer in this time has failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Prefix of every key: lower-case letters and digits only, so no answer
    /// depends on the store's version (v1 folds keys to lower case, its fix
    /// does not: lower-case keys mean the same to both). Random per run by
    /// default, so every key starts absent.
    /// </summary>
    public string KeyPrefix { get; init; } = "ld" + Guid.NewGuid().ToString("N")[..8];
}

/// <summary>
/// A host load generator for the KV service: N keep-alive connections, each
/// on its own thread, each sending a steady random mix of GET/PUT/DELETE on
/// its own keys, checking every answer against its <see cref="KvModel"/>
/// and recording every request's latency and outcome. <see cref="Stop"/>
/// ends the load, reads every key back and returns the report.
/// A failed request is counted, then the connection is replaced (its stream
/// state is unknown) and the load goes on.
/// </summary>
public sealed class KvLoad
{
    private readonly KvLoadOptions _o;
    private readonly Worker[] _workers;
    private volatile bool _stopping;
    private readonly long _startTicks;
    private readonly List<(string Label, long Start, long End)> _windows = new();

    private KvLoad(KvLoadOptions options)
    {
        _o = options;
        if (_o.Connections < 1) throw new ArgumentException("at least one connection");
        if (_o.KeyPrefix.Any(c => !(c is >= 'a' and <= 'z' or >= '0' and <= '9'))) throw new ArgumentException($"key prefix '{_o.KeyPrefix}': lower-case letters and digits only");
        _startTicks = Stopwatch.GetTimestamp();
        _workers = Enumerable.Range(0, _o.Connections).Select(i => new Worker(this, i)).ToArray();
        foreach (var w in _workers) w.Thread.Start();
    }

    public static KvLoad Start(KvLoadOptions options) => new(options);

    public KvLoadOptions Options => _o;

    /// <summary>Requests completed so far (all connections).</summary>
    public long Completed => _workers.Sum(w => Volatile.Read(ref w.Count));

    /// <summary>Failed or wrong requests so far.</summary>
    public long Bad => _workers.Sum(w => Volatile.Read(ref w.BadCount));

    /// <summary>Waits until at least <paramref name="count"/> more requests completed than now, or the time-out; true if they did.</summary>
    public bool WaitForMore(long count, TimeSpan timeout)
    {
        long target = Completed + count;
        var sw = Stopwatch.StartNew();
        while (Completed < target)
        {
            if (sw.Elapsed > timeout || _workers.All(w => !w.Thread.IsAlive)) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>Waits until every connection has stored its keys (<see cref="KvLoadOptions.Populate"/>), or the time-out; true if they have.</summary>
    public bool WaitForPopulated(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!_workers.All(w => Volatile.Read(ref w.Populated)))
        {
            if (sw.Elapsed > timeout || _workers.All(w => !w.Thread.IsAlive)) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>Records a labelled time window (an update, say) for the report to split the figures by.</summary>
    public void AddWindow(string label, long startTicks, long endTicks)
    {
        lock (_windows) _windows.Add((label, startTicks, endTicks));
    }

    /// <summary>Runs <paramref name="action"/> and records its duration as a window.</summary>
    public T Window<T>(string label, Func<T> action)
    {
        long t0 = Stopwatch.GetTimestamp();
        try { return action(); }
        finally { AddWindow(label, t0, Stopwatch.GetTimestamp()); }
    }

    /// <summary>Waits for every connection to finish its requests (with <see cref="KvLoadOptions.RequestsPerConnection"/>), or asks them to stop; then reads every key back.</summary>
    public KvLoadReport Stop()
    {
        long stopTicks = Stopwatch.GetTimestamp();
        if (_o.RequestsPerConnection == 0) _stopping = true;
        foreach (var w in _workers) w.Thread.Join();
        if (_o.RequestsPerConnection > 0) stopTicks = _workers.Max(w => w.LoadEnd);
        List<(string, long, long)> windows;
        lock (_windows) windows = [.. _windows];
        return new KvLoadReport(
            _workers.SelectMany(w => w.Samples).ToList(),
            _startTicks, stopTicks, windows,
            _workers.Sum(w => w.ReadBack), _workers.SelectMany(w => w.Lost).ToList(),
            _workers.SelectMany(w => w.ReadBackFailures).ToList(),
            _workers.SelectMany(w => w.Errors).Take(20).ToList());
    }

    private sealed class Worker
    {
        private readonly KvLoad _load;
        private readonly int _index;
        private readonly Random _rng;
        private readonly string[] _keys;
        private readonly KvModel _model;
        private HttpConnection? _conn;
        private long _seq;

        public readonly Thread Thread;
        public readonly List<KvSample> Samples = new(1 << 14);
        public readonly List<string> Errors = new();
        public readonly List<string> Lost = new();
        public readonly List<string> ReadBackFailures = new();
        public long Count, BadCount, LoadEnd;
        public bool Populated;
        public int ReadBack;

        public Worker(KvLoad load, int index)
        {
            _load = load; _index = index;
            _rng = new Random(load._o.Seed + index);
            _keys = Enumerable.Range(0, load._o.KeysPerConnection).Select(k => $"{load._o.KeyPrefix}c{index}k{k}").ToArray();
            _model = new KvModel(_keys);
            Thread = new Thread(Run) { IsBackground = true, Name = $"kv-load-{index}" };
        }

        private KvLoadOptions O => _load._o;

        private void Run()
        {
            var o = O;
            long interval = o.RatePerConnection > 0 ? (long)(Stopwatch.Frequency / o.RatePerConnection) : 0;
            long next = Stopwatch.GetTimestamp();
            if (o.Populate) foreach (string key in _keys) One(KvOp.Put, key);
            Volatile.Write(ref Populated, true);
            for (int n = 0; o.RequestsPerConnection == 0 ? !_load._stopping : n < o.RequestsPerConnection; n++)
            {
                if (interval > 0)
                {
                    next += interval;
                    long wait = next - Stopwatch.GetTimestamp();
                    if (wait > 0) Thread.Sleep(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                    else next = Stopwatch.GetTimestamp();   // behind: no catch-up burst
                }
                string key = _keys[_rng.Next(_keys.Length)];
                int dice = _rng.Next(100);
                One(dice < o.GetPercent ? KvOp.Get : dice < o.GetPercent + o.PutPercent ? KvOp.Put : KvOp.Delete, key);
            }
            LoadEnd = Stopwatch.GetTimestamp();
            ReadBackAll();
            _conn?.Dispose();
        }

        /// <summary>One request, checked against the model and recorded.</summary>
        private void One(KvOp op, string key)
        {
            byte[]? value = op == KvOp.Put ? MakeValue(key) : null;
            long t0 = Stopwatch.GetTimestamp();
            HttpAnswer? answer = null;
            string? error = null;
            try
            {
                _conn ??= HttpConnection.Open(O.Endpoint, O.RequestTimeout);
                answer = _conn.Send(op switch { KvOp.Get => "GET", KvOp.Put => "PUT", _ => "DELETE" }, "/kv/" + key, value);
            }
            catch (HttpFailure e) { error = e.Message; }
            long t1 = Stopwatch.GetTimestamp();
            if (_conn is { Closed: true }) { _conn.Dispose(); _conn = null; }

            KvOutcome outcome;
            if (answer is not { } a || a.Status >= 500)
            {
                outcome = KvOutcome.Failed;
                if (answer is { } failed) error = $"{failed.Status} {Encoding.ASCII.GetString(failed.Body).Trim()}";
                // Applied or not: unknown until a later answer shows it.
                if (op == KvOp.Put) _model.MaybeSet(key, value);
                if (op == KvOp.Delete) _model.MaybeSet(key, null);
            }
            else outcome = Check(op, key, value, answer.Value, out error) ? KvOutcome.Ok : KvOutcome.Wrong;

            if (outcome != KvOutcome.Ok)
            {
                Interlocked.Increment(ref BadCount);
                if (Errors.Count < 20) Errors.Add($"connection {_index}: {op} {key}: {outcome}: {error}");
            }
            Samples.Add(new KvSample(t0, t1, _index, op, key, (short)(answer?.Status ?? 0), outcome));
            Interlocked.Increment(ref Count);
        }

        /// <summary>Checks an answer against the model and updates the model; false (with why) if the answer contradicts it.</summary>
        private bool Check(KvOp op, string key, byte[]? value, HttpAnswer a, out string? why)
        {
            why = null;
            switch (op)
            {
                case KvOp.Get:
                    byte[]? seen = a.Status == 200 ? a.Body : a.Status == 404 ? null : Array.Empty<byte>();
                    if (a.Status is 200 or 404 && _model.Observe(key, p => KvModel.Same(p, seen))) return true;
                    why = $"GET answered {a.Status} '{Preview(a.Body)}', the model says {Describe(key)}";
                    _model.Set(key, a.Status is 200 ? a.Body : a.Status is 404 ? null : _model.Possible(key)[0]);
                    return false;
                case KvOp.Put:
                    {
                        bool ok = a.Status == 201 ? _model.Observe(key, p => p == null)
                            : a.Status == 204 && _model.Observe(key, p => p != null);
                        if (!ok) why = $"PUT answered {a.Status}, the model says {Describe(key)}";
                        if (a.Status is 201 or 204) _model.Set(key, value);
                        return ok;
                    }
                default:
                    {
                        bool ok = a.Status == 204 ? _model.Observe(key, p => p != null)
                            : a.Status == 404 && _model.Observe(key, p => p == null);
                        if (!ok) why = $"DELETE answered {a.Status}, the model says {Describe(key)}";
                        if (a.Status is 204 or 404) _model.Set(key, null);
                        return ok;
                    }
            }
        }

        private string Describe(string key) => string.Join(" or ", _model.Possible(key).Select(p => p == null ? "absent" : $"'{Preview(p)}'"));

        private static string Preview(byte[] b) => b.Length <= 24 ? Encoding.ASCII.GetString(b) : Encoding.ASCII.GetString(b, 0, 24) + "...";

        /// <summary>A value naming the key and the write (so a misplaced value is recognisable), padded to a random length.</summary>
        private byte[] MakeValue(string key)
        {
            string v = $"{key}#{++_seq}:";
            int length = Math.Max(v.Length, _rng.Next(O.MinValueBytes, O.MaxValueBytes + 1));
            var sb = new StringBuilder(v, length);
            while (sb.Length < length) sb.Append((char)('a' + _rng.Next(26)));
            return Encoding.ASCII.GetBytes(sb.ToString());
        }

        /// <summary>Reads every key back (up to 3 tries each, on a fresh connection after a failure) and compares it with the model.</summary>
        private void ReadBackAll()
        {
            foreach (string key in _keys)
            {
                HttpAnswer? a = null;
                string? error = null;
                for (int attempt = 0; attempt < 3 && a == null; attempt++)
                {
                    try
                    {
                        _conn ??= HttpConnection.Open(O.Endpoint, O.RequestTimeout);
                        a = _conn.Send("GET", "/kv/" + key);
                        if (a.Value.Status is not (200 or 404)) { error = $"{a.Value.Status}"; a = null; }
                    }
                    catch (HttpFailure e) { error = e.Message; }
                    if (_conn is { Closed: true } || a == null) { _conn?.Dispose(); _conn = null; }
                }
                if (a is not { } answer) { ReadBackFailures.Add($"{key}: {error}"); continue; }
                ReadBack++;
                byte[]? seen = answer.Status == 200 ? answer.Body : null;
                if (!_model.Allows(key, seen))
                    Lost.Add($"{key}: read back {(seen == null ? "absent" : $"'{Preview(seen)}'")}, acknowledged {Describe(key)}");
            }
        }
    }
}
