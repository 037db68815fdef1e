using System.Net;
using System.Net.Sockets;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The whole network path from the host: the kernel boots normally (the
/// driver finds the NIC, kernel init starts the stack and the KV service),
/// QEMU forwards a free port on 127.0.0.1 to the guest's 8080
/// (<c>restrict=on</c>: nothing leaves this machine), and an HttpClient
/// PUTs, GETs and DELETEs a key. A second boot runs the in-kernel
/// <c>virtio.stack_dhcp_and_ping_gateway</c> test: DHCP and a ping of the
/// gateway over the same NIC.
/// </summary>
public class NetStackSystemTests
{
    private static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static QemuRunOptions Boot(QemuArch arch, string commandLine, QemuNic nic, int cpus = 2) => new()
    {
        Arch = arch,
        KernelPath = Repo.KernelFor(arch, commandLine),
        CommandLine = commandLine,
        Cpus = cpus,
        Nic = nic,
        Timeout = TimeSpan.FromSeconds(90),
    };

    private static async Task KvOverHostForward(QemuArch arch)
    {
        int port = FreeLoopbackPort();
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var run = QemuRunner.QemuRunner.RunAsync(
            Boot(arch, "", QemuNic.UserRestricted(new QemuPortForward(port, 8080))),
            line => { if (line.Contains("kv: serving")) serving.TrySetResult(); },
            stop.Token);
        try
        {
            var first = await Task.WhenAny(serving.Task, run, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(first == serving.Task, first == run ? $"the kernel ended before serving: {(await run).Describe()}" : "no \"kv: serving\" line within 60 s");

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            string key = $"system-{arch.ToName()}";
            // The guest may still be taking its DHCP address when the service starts: retry the first request a while.
            HttpResponseMessage? put = null;
            for (int attempt = 0; attempt < 20 && put == null; attempt++)
            {
                try { put = await http.PutAsync($"/kv/{key}", new StringContent("molt over virtio-net")); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { await Task.Delay(500); }
            }
            Assert.NotNull(put);
            Assert.Equal(HttpStatusCode.Created, put!.StatusCode);
            var get = await http.GetAsync($"/kv/{key}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("molt over virtio-net", await get.Content.ReadAsStringAsync());
            var replace = await http.PutAsync($"/kv/{key}", new StringContent(new string('x', 100_000)));
            Assert.Equal(HttpStatusCode.NoContent, replace.StatusCode);
            Assert.Equal(100_000, (await http.GetByteArrayAsync($"/kv/{key}")).Length);
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/kv/{key}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/kv/{key}")).StatusCode);
        }
        finally
        {
            stop.Cancel();
            try { await run; } catch (OperationCanceledException) { }
        }
    }

    private static async Task DhcpAndPing(QemuArch arch)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Boot(arch, "test test.filter=virtio.stack_", QemuNic.UserRestricted(new QemuPortForward(FreeLoopbackPort(), 8080))));
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l == "PASS virtio.stack_dhcp_and_ping_gateway");
        Assert.Contains(r.SerialLines, l => l.Contains("DHCP lease in") && l.Contains("gateway ping answered"));
    }

    [KernelFact]
    public Task X64_kv_put_get_over_the_host_forward() => KvOverHostForward(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_kv_put_get_over_the_host_forward() => KvOverHostForward(QemuArch.Arm64);

    [KernelFact]
    public Task X64_dhcp_and_gateway_ping_over_virtio_net() => DhcpAndPing(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_dhcp_and_gateway_ping_over_virtio_net() => DhcpAndPing(QemuArch.Arm64);
}
