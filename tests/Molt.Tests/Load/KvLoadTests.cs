using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Molt.Load;
using Molt.Net.Kv;
using Xunit;

namespace Molt.Tests.Load;

/// <summary>
/// The load generator (tests/Molt.Tests/Load/Generator) against the host
/// test double (Molt's HTTP server and store on the host, on a real port):
/// a clean run reports nothing lost; a double that drops an acknowledged
/// write is caught; 5xx answers and time-outs count as failures without
/// being mistaken for lost writes. Fixed seeds and request counts.
/// </summary>
public class KvLoadTests
{
    private static KvLoadOptions Options(IPEndPoint at, int requests, int keys = 16, string? prefix = null) => new()
    {
        Endpoint = at,
        Connections = 3,
        KeysPerConnection = keys,
        RequestsPerConnection = requests,
        Seed = 1,
        KeyPrefix = prefix ?? "ld" + Guid.NewGuid().ToString("N")[..8],
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public void A_clean_run_loses_nothing_and_reports_its_figures()
    {
        using var server = new HostKvServer(new KvTable(1024, 1 << 24));
        var report = KvLoad.Start(Options(server.Endpoint, 300)).Stop();

        Assert.True(report.Failed == 0 && report.Wrong == 0 && report.LostWrites.Count == 0, report + "\n" + report.Problems());
        Assert.Equal(900, report.Requests);
        Assert.Equal(48, report.KeysReadBack);
        Assert.Empty(report.ReadBackFailures);
        // The mix: roughly 50/35/15 of 900, each kind present.
        int gets = report.Samples.Count(s => s.Op == KvOp.Get), puts = report.Samples.Count(s => s.Op == KvOp.Put);
        Assert.InRange(gets, 350, 550);
        Assert.InRange(puts, 230, 400);
        Assert.InRange(900 - gets - puts, 70, 200);
        // The server really stored and served: its counters match what was sent.
        Assert.Equal(puts, server.Handler.Puts);
        Assert.Equal(gets + 48, server.Handler.Gets);
        var all = report.All;
        Assert.True(all.RatePerSecond > 0 && all.P50Us > 0 && all.P50Us <= all.P99Us && all.P99Us <= all.MaxUs, all.ToString());
        Assert.True(report.LongestGap.Microseconds >= all.MaxUs, $"gap {report.LongestGap.Microseconds} < max latency {all.MaxUs}");
    }

    [Fact]
    public void A_double_that_drops_acknowledged_writes_is_caught_during_the_run()
    {
        // Every PUT to connection 0's key 1 after its first is acknowledged and dropped.
        const string prefix = "drop";
        var store = new LosingStore(new KvTable(256, 1 << 24), (key, before) => key == prefix + "c0k1" && before >= 1);
        using var server = new HostKvServer(store);
        var report = KvLoad.Start(Options(server.Endpoint, 200, keys: 4, prefix: prefix)).Stop();

        Assert.True(store.Lost > 0, "the double dropped nothing: the test did not test");
        Assert.Equal(0, report.Failed);
        // The next GET or DELETE of the key after a dropped PUT contradicts the model ...
        Assert.True(report.Wrong > 0, report.ToString());
        Assert.All(report.Errors, e => Assert.Contains("dropc0k1: Wrong", e));
        // ... and the read-back finds at most that key wrong.
        Assert.True(report.LostWrites.All(l => l.StartsWith("dropc0k1:")), string.Join("\n", report.LostWrites));
    }

    [Fact]
    public void A_dropped_last_write_is_a_lost_write_at_read_back()
    {
        // The same seed and count give the same requests, whatever the answers: a first run
        // finds a key whose last request is a PUT; the second run drops exactly that PUT,
        // so only the read-back can see it.
        const int requests = 150;
        KvLoadOptions Opts(IPEndPoint at, int seed) => new() { Endpoint = at, Connections = 1, KeysPerConnection = 4, RequestsPerConnection = requests, Seed = seed, KeyPrefix = "last" };
        int seed = 0;
        KvSample? last = null;
        KvLoadReport dry = null!;
        using (var clean = new HostKvServer(new KvTable(256, 1 << 24)))
            while (last == null && seed < 10)
            {
                dry = KvLoad.Start(Opts(clean.Endpoint, ++seed) with { KeyPrefix = "dry" + seed }).Stop();
                Assert.True(dry.Failed == 0 && dry.Wrong == 0 && dry.LostWrites.Count == 0, dry.Problems());
                last = dry.Samples.GroupBy(s => s.Key).Select(g => g.Last()).Where(s => s.Op == KvOp.Put).Cast<KvSample?>().FirstOrDefault();
            }
        Assert.True(last != null, "no seed of 1..10 ends a key with a PUT");
        string victim = "last" + last.Value.Key[("dry" + seed).Length..];
        int putsBefore = dry.Samples.Count(s => s.Key == last.Value.Key && s.Op == KvOp.Put) - 1;

        var store = new LosingStore(new KvTable(256, 1 << 24), (key, before) => key == victim && before == putsBefore);
        using var server = new HostKvServer(store);
        var report = KvLoad.Start(Opts(server.Endpoint, seed)).Stop();
        Assert.Equal(1, store.Lost);
        Assert.True(report.Failed == 0 && report.Wrong == 0, report.Problems());
        string lost = Assert.Single(report.LostWrites);
        Assert.StartsWith(victim + ": read back", lost);
    }

    [Fact]
    public void Server_errors_count_as_failures_and_leave_the_key_uncertain_not_lost()
    {
        // A store that holds 16 keys at most: the other PUTs get 503 (not stored).
        using var server = new HostKvServer(new KvTable(16, 1 << 24));
        var report = KvLoad.Start(Options(server.Endpoint, 200, keys: 16)).Stop();
        Assert.True(report.Failed > 0, report.ToString());
        Assert.All(report.Samples.Where(s => s.Outcome == KvOutcome.Failed), s => Assert.Equal(503, s.Status));
        Assert.Equal(0, report.Wrong);
        Assert.Empty(report.LostWrites);
        Assert.Equal(48, report.KeysReadBack);
    }

    [Fact]
    public void A_server_that_never_answers_gives_timed_out_failures()
    {
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(16);
        var held = new List<Socket>();
        var accept = Task.Run(() => { try { while (true) lock (held) held.Add(silent.AcceptSocket()); } catch (SocketException) { } catch (ObjectDisposedException) { } });
        try
        {
            var sw = Stopwatch.StartNew();
            var report = KvLoad.Start(new KvLoadOptions
            {
                Endpoint = (IPEndPoint)silent.LocalEndpoint, Connections = 2, KeysPerConnection = 2, RequestsPerConnection = 2,
                RequestTimeout = TimeSpan.FromMilliseconds(300),
            }).Stop();
            Assert.Equal(4, report.Failed);
            Assert.All(report.Samples, s => Assert.Equal(0, s.Status));
            Assert.All(report.Errors, e => Assert.Contains("no answer in", e));
            Assert.Equal(4, report.ReadBackFailures.Count);
            Assert.True(report.LongestGap.Microseconds >= 550_000, $"longest gap {report.LongestGap.Microseconds} us");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20));
        }
        finally
        {
            silent.Stop();
            lock (held) held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Windows_split_the_run_into_during_and_outside()
    {
        using var server = new HostKvServer(new KvTable(1024, 1 << 24));
        var load = KvLoad.Start(Options(server.Endpoint, 0));
        Assert.True(load.WaitForMore(100, TimeSpan.FromSeconds(30)));
        load.Window("pause", () => { Thread.Sleep(200); return 0; });
        Assert.True(load.WaitForMore(100, TimeSpan.FromSeconds(30)));
        var report = load.Stop();
        Assert.Single(report.Windows);
        Assert.Equal(report.Requests, report.During.Requests + report.Outside.Requests);
        Assert.True(report.During.Requests > 0, report.ToString());
        Assert.InRange(report.During.Seconds, 0.19, 1.0);
        Assert.True(report.LostWrites.Count == 0 && report.Failed == 0 && report.Wrong == 0, report.Problems());
    }
}
