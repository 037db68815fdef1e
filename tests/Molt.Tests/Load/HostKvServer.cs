using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Molt.Net;
using Molt.Net.Http;
using Molt.Net.Kv;
using TcpError = Molt.Net.Tcp.TcpError;
using TcpSocket = Molt.Net.Tcp.TcpSocket;
using Molt.Tests.Net;

namespace Molt.Tests.Load;

/// <summary>
/// A store that acknowledges some writes without making them: the fault the
/// load generator's checker must catch. <see cref="Lose"/> sees each PUT's
/// key and how many PUTs that key had before; when it says so, the PUT is
/// answered as if stored (created or replaced) and dropped.
/// </summary>
public sealed class LosingStore(IKvStore inner, Func<string, int, bool> lose) : IKvStore
{
    private readonly Dictionary<string, int> _puts = new();
    public int Lost;

    public Func<string, int, bool> Lose { get; } = lose;

    public int Get(ReadOnlySpan<byte> key, Span<byte> value) => inner.Get(key, value);

    public int Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        string k = Encoding.ASCII.GetString(key);
        int before;
        lock (_puts) { _puts.TryGetValue(k, out before); _puts[k] = before + 1; }
        if (!Lose(k, before)) return inner.Put(key, value);
        Interlocked.Increment(ref Lost);
        return inner.Get(key, Span<byte>.Empty) == -1 ? 1 : 0;   // "created" or "replaced": acknowledged, not stored
    }

    public bool Delete(ReadOnlySpan<byte> key) => inner.Delete(key);
    public int Count => inner.Count;
    public long Bytes => inner.Bytes;
    public int Version => inner.Version;
}

/// <summary>
/// The KV test double on a real host port: Molt's HTTP server and a store
/// (tests/Molt.Tests/Net/HostKv) run on the host on two Molt stacks joined by
/// a LoopbackDevice pair, each stack polled by its own thread; a TcpListener
/// on 127.0.0.1 bridges each accepted host connection to a Molt connection
/// into that server (two pump threads per connection). So the load generator
/// talks to it through the very socket code it uses against QEMU.
/// </summary>
public sealed class HostKvServer : IDisposable
{
    private const ushort ServicePort = 8080;
    private readonly NetStack _client, _server;
    private readonly HttpServer _http;
    private readonly TcpListener _listener;
    private readonly List<Thread> _threads = new();
    private readonly List<Socket> _open = new();
    private volatile bool _stop;

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;
    public KvHandler Handler { get; }

    /// <param name="workers">HTTP workers (the kernel's KV service has 4).</param>
    public HostKvServer(IKvStore store, int workers = 4)
    {
        LoopbackDevice.Pair(512, out var da, out var db);
        var clock = new RealClock();
        _client = new NetStack(da, StackPair.Config(StackPair.IpA, 256 * 1024, 256 * 1024, 32, 11), clock);
        _server = new NetStack(db, StackPair.Config(StackPair.IpB, 256 * 1024, 256 * 1024, 32, 12), clock);
        Handler = new KvHandler { Store = store };
        _http = new HttpServer(_server, ServicePort, workers, 16, 4096, 1 << 20, Handler);
        if (!_http.Listening) throw new InvalidOperationException("the double's HTTP server cannot listen");
        foreach (var s in new[] { _client, _server })
            Spawn("poll", () => { while (!_stop) { s.PollOnce(); Thread.Sleep(0); } });
        for (int i = 0; i < workers; i++)
        {
            int w = i;
            Spawn("worker", () => { while (!_http.Stopping) _http.ServeOne(w, 50_000); });
        }
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Spawn("accept", AcceptLoop);
    }

    private void Spawn(string name, ThreadStart body)
    {
        var t = new Thread(body) { IsBackground = true, Name = "host-kv-" + name };
        lock (_threads) _threads.Add(t);
        t.Start();
    }

    private void AcceptLoop()
    {
        while (!_stop)
        {
            Socket host;
            try { host = _listener.AcceptSocket(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            host.NoDelay = true;
            lock (_open) _open.Add(host);
            TcpSocket molt = _client.Connect(StackPair.IpB, ServicePort, 5_000_000, out int err);
            if (err != 0) { host.Dispose(); continue; }
            _client.SetNoDelay(molt, true);
            Spawn("up", () => Up(host, molt));
            Spawn("down", () => Down(host, molt));
        }
    }

    /// <summary>Host to Molt; at the host's end of stream, a FIN to the server.</summary>
    private void Up(Socket host, TcpSocket molt)
    {
        byte[] buf = new byte[16 * 1024];
        try
        {
            while (!_stop)
            {
                int n = host.Receive(buf);
                if (n == 0) break;
                if (_client.Write(molt, buf.AsSpan(0, n), 5_000_000) != n) break;
            }
            _client.Close(molt);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { _client.Abort(molt); }
    }

    /// <summary>Molt to host; when the server closes, the host connection closes too.</summary>
    private void Down(Socket host, TcpSocket molt)
    {
        byte[] buf = new byte[16 * 1024];
        try
        {
            while (!_stop)
            {
                int n = _client.Read(molt, buf, 100_000);
                if (n == TcpError.TimedOut) continue;
                if (n <= 0) break;
                host.Send(buf.AsSpan(0, n));
            }
            host.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        finally { host.Dispose(); }
    }

    public void Dispose()
    {
        _stop = true;
        _http.Stopping = true;
        _listener.Stop();
        lock (_open) foreach (var s in _open) s.Dispose();
        List<Thread> threads;
        lock (_threads) threads = [.. _threads];
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(10));
    }

    private sealed class RealClock : INetClock
    {
        private readonly Stopwatch _sw = Stopwatch.StartNew();
        public long NowMicroseconds => _sw.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
    }
}
