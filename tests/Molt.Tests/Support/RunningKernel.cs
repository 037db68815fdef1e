using System.Net;
using System.Net.Sockets;
using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Support;

/// <summary>
/// The release kernel booted under QEMU with its NIC on a restricted user
/// network, free loopback ports forwarded to the KV service (8080) and the
/// update daemon (7777), and ready: both have said they listen. Disposing
/// stops QEMU. Its console lines are kept for assertions and failure messages.
/// </summary>
public sealed class RunningKernel : IAsyncDisposable
{
    private readonly List<string> _lines = new();
    private readonly CancellationTokenSource _stop = new();
    private Task<QemuResult>? _run;

    public QemuArch Arch { get; }
    public int KvPort { get; }
    public int UpdatePort { get; }
    public string UpdateAddress => $"127.0.0.1:{UpdatePort}";
    public Uri KvUri => new($"http://127.0.0.1:{KvPort}/");
    public Uri UpdateUri => new($"http://127.0.0.1:{UpdatePort}/");

    private RunningKernel(QemuArch arch) { Arch = arch; KvPort = FreePort(); UpdatePort = FreePort(); }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on now.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    /// <summary>Boots and waits (at most a minute) until the KV service and the daemon listen.</summary>
    public static async Task<RunningKernel> BootAsync(QemuArch arch, int cpus = 2, string commandLine = "", string? kernelPath = null)
    {
        var k = new RunningKernel(arch);
        var kv = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var daemon = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        k._run = QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = kernelPath ?? Repo.KernelElf(arch),
            CommandLine = commandLine,
            Cpus = cpus,
            Nic = QemuNic.UserRestricted(new QemuPortForward(k.KvPort, 8080), new QemuPortForward(k.UpdatePort, 7777)),
            Timeout = TimeSpan.FromMinutes(10),
        }, line =>
        {
            lock (k._lines) k._lines.Add(line);
            if (line.Contains("kv: serving")) kv.TrySetResult();
            if (line.Contains("update: daemon listening")) daemon.TrySetResult();
        }, k._stop.Token);
        var ready = Task.WhenAll(kv.Task, daemon.Task);
        var first = await Task.WhenAny(ready, k._run, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != ready)
        {
            await k.DisposeAsync();
            Assert.Fail($"{arch}: the KV service and the update daemon did not start:\n{k.Log}");
        }
        return k;
    }

    /// <summary>The console so far.</summary>
    public string Log { get { lock (_lines) return string.Join("\n", _lines); } }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_run != null) try { await _run; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
