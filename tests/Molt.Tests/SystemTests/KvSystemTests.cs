using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The key-value service on the real NIC: the kernel boots under QEMU with
/// a virtio-net on a restricted user network, takes its address by DHCP,
/// pings the gateway, and serves <c>/kv/&lt;key&gt;</c>; the host talks to it
/// through <c>hostfwd=tcp:127.0.0.1:PORT-:8080</c> with HttpClient, raw
/// sockets and curl. Bounded: fixed request counts, a time-out per run.
/// </summary>
public class KvSystemTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    /// <summary>Boots, waits for the service, runs <paramref name="body"/> against it, then stops QEMU.</summary>
    private static async Task WithKv(QemuArch arch, Func<HttpClient, int, Task> body)
    {
        int port = FreePort();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pinged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        using var cts = new CancellationTokenSource();
        var run = QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.KernelElf(arch),
            CommandLine = "",
            Nic = QemuNic.UserRestricted(new QemuPortForward(port, 8080)),
            Timeout = TimeSpan.FromSeconds(240),
        }, line =>
        {
            lock (lines) lines.Add(line);
            if (line.Contains("kv: serving")) ready.TrySetResult();
            if (line.Contains("net: gateway answered ping")) pinged.TrySetResult();
        }, cts.Token);
        try
        {
            var first = await Task.WhenAny(ready.Task, run, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(first == ready.Task, "the KV service did not start:\n" + string.Join("\n", lines));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await body(http, port);
            var p = await Task.WhenAny(pinged.Task, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(p == pinged.Task, "no ping answer from the gateway:\n" + string.Join("\n", lines));
            lock (lines) Assert.Contains(lines, l => l.Contains("net: address 10.0.2.15 (dhcp), gateway 10.0.2.2"));
        }
        finally
        {
            cts.Cancel();
            try { await run; } catch (OperationCanceledException) { }
        }
    }

    private static async Task Exercise(HttpClient http, int port)
    {
        // PUT, GET, replace, DELETE, 404.
        var put = await http.PutAsync("kv/alpha", new ByteArrayContent("hello molt"u8.ToArray()));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal("hello molt", await http.GetStringAsync("kv/alpha"));
        Assert.Equal(HttpStatusCode.NoContent, (await http.PutAsync("kv/alpha", new StringContent("v2"))).StatusCode);
        Assert.Equal("v2", await http.GetStringAsync("kv/alpha"));
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("kv/alpha")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("kv/alpha")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("kv/alpha", new StringContent("x"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("elsewhere")).StatusCode);

        // A 1 MiB value both ways (chunked upload: HttpClient streams without a length).
        byte[] big = new byte[1 << 20]; new Random(7).NextBytes(big);
        var chunked = new StreamContent(new MemoryStream(big));
        var req = new HttpRequestMessage(HttpMethod.Put, "kv/big") { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(req)).StatusCode);
        Assert.Equal(big, await http.GetByteArrayAsync("kv/big"));
        // Beyond 1 MiB: 413.
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.PutAsync("kv/huge", new ByteArrayContent(new byte[(1 << 20) + 1]))).StatusCode);

        // 200 requests on kept-alive connections, then 100 fresh connections in a row.
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 200; i++)
        {
            var st = (await http.PutAsync($"kv/k{i % 10}", new StringContent(i.ToString()))).StatusCode;
            Assert.True(st == (i < 10 ? HttpStatusCode.Created : HttpStatusCode.NoContent), $"PUT {i}: {st}");
        }
        double keepAliveMs = sw.Elapsed.TotalMilliseconds;
        for (int i = 0; i < 100; i++)
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            var s = c.GetStream();
            await s.WriteAsync("GET /kv/k3 HTTP/1.1\r\nHost: molt\r\nConnection: close\r\n\r\n"u8.ToArray());
            string answer = await new StreamReader(s).ReadToEndAsync();
            Assert.StartsWith("HTTP/1.1 200 OK", answer);
        }
        System.Console.WriteLine($"kv system test: 200 keep-alive PUTs in {keepAliveMs:F0} ms, 100 fresh connections in {sw.Elapsed.TotalMilliseconds - keepAliveMs:F0} ms");

        // curl, if installed: a PUT with Expect: 100-continue (curl sends it above 1 KiB) and a GET.
        if (File.Exists("/usr/bin/curl"))
        {
            string file = Path.GetTempFileName();
            await File.WriteAllBytesAsync(file, new byte[4096]);
            var (code, _) = await Curl($"-s -o /dev/null -w %{{http_code}} -X PUT --data-binary @{file} http://127.0.0.1:{port}/kv/curl");
            Assert.Equal("201", code);
            var (code2, _) = await Curl($"-s -o /dev/null -w %{{http_code}} http://127.0.0.1:{port}/kv/curl");
            Assert.Equal("200", code2);
            File.Delete(file);
        }
    }

    private static async Task<(string stdout, int exit)> Curl(string args)
    {
        var psi = new ProcessStartInfo("curl", "-m 20 " + args) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string o = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (o.Trim(), p.ExitCode);
    }

    [KernelFact]
    public Task X64_serves_the_kv_over_virtio_net_and_qemu_user_networking() => WithKv(QemuArch.X64, Exercise);

    [Arm64KernelFact]
    public Task Arm64_serves_the_kv_over_virtio_net_and_qemu_user_networking() => WithKv(QemuArch.Arm64, Exercise);
}
