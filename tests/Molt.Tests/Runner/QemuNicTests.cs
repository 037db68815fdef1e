using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.Runner;

/// <summary>The NIC option of the typed runner: the same arguments as the Makefile's NET_ARGS, restrict=on always, forwards to 127.0.0.1 only.</summary>
public sealed class QemuNicTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("molt-nic-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Elf() { var p = Path.Combine(_dir, "molt.elf"); File.WriteAllText(p, ""); return p; }

    [Fact]
    public void Nic_with_forwards_is_restricted_and_binds_loopback()
    {
        var args = QemuCommandLine.Build(new QemuRunOptions
        {
            KernelPath = Elf(),
            Nic = QemuNic.UserRestricted(new QemuPortForward(18080, 8080), new QemuPortForward(17777, 7777)),
        });
        int i = args.ToList().IndexOf("-netdev");
        Assert.True(i >= 0);
        Assert.Equal("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:18080-:8080,hostfwd=tcp:127.0.0.1:17777-:7777", args[i + 1]);
        Assert.Equal("-device", args[i + 2]);
        Assert.Equal("virtio-net-pci,netdev=n0,disable-legacy=on", args[i + 3]);
    }

    [Fact]
    public void No_nic_unless_asked_and_pcap_on_request()
    {
        Assert.DoesNotContain("-netdev", QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf() }));
        var s = string.Join(' ', QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = new QemuNic { PcapPath = "/tmp/a,b.pcap" } }));
        Assert.Contains("-object filter-dump,id=n0-dump,netdev=n0,file=/tmp/a,,b.pcap", s);
    }

    [Fact]
    public void Stream_nic_connects_to_a_unix_socket_and_has_no_user_network()
    {
        var args = QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.Stream("/tmp/molt,net.sock") }).ToList();
        int i = args.IndexOf("-netdev");
        Assert.True(i >= 0);
        // QEMU is the client (server=off) of the test's listener; a comma in the path is doubled.
        Assert.Equal("stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/molt,,net.sock", args[i + 1]);
        Assert.Equal("virtio-net-pci,netdev=n0,disable-legacy=on", args[i + 3]);
        Assert.DoesNotContain(args, a => a.StartsWith("user,") || a.Contains("hostfwd"));
        // A stream link has no user network to forward from, and a unix socket path is at most 107 bytes.
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.Stream("/tmp/s") with { Forwards = [new QemuPortForward(9000, 80)] } }));
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.Stream("/tmp/" + new string('x', 110)) }));
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.Stream("") }));
    }

    [Fact]
    public void Bad_forwards_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.UserRestricted(new QemuPortForward(0, 80)) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.UserRestricted(new QemuPortForward(80, 70000)) }));
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = QemuNic.UserRestricted(new QemuPortForward(9000, 80), new QemuPortForward(9000, 81)) }));
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(new QemuRunOptions { KernelPath = Elf(), Nic = new QemuNic { Id = "a,b" } }));
    }

    /// <summary>make run and the tests share the NIC: the Makefile's NET_ARGS spell the same device and network.</summary>
    [Fact]
    public void Make_run_boots_with_the_same_nic_and_forwards_the_service_ports()
    {
        // make run goes through molt-qemu, which builds its NIC from QemuNic like the tests do.
        var run = Molt.Qemu.ToolOptions.Parse(["run", "--arch", "x64", "--kernel", "k.elf"]).ToRunOptions();
        Assert.NotNull(run.Nic);
        Assert.Equal(QemuNic.UserRestricted().Arguments().Take(1), run.Nic!.Arguments().Take(1));
        Assert.Contains(run.Nic.Arguments(), a => a.Contains("restrict=on") && a.Contains("hostfwd=tcp:127.0.0.1:8080-:8080") && a.Contains("hostfwd=tcp:127.0.0.1:7777-:7777"));
        var moved = Molt.Qemu.ToolOptions.Parse(["run", "--arch", "x64", "--kernel", "k.elf", "--forward", "18080:8080"]).ToRunOptions();
        Assert.Contains(moved.Nic!.Arguments(), a => a.Contains("hostfwd=tcp:127.0.0.1:18080-:8080") && !a.Contains(":7777"));
        Assert.Null(Molt.Qemu.ToolOptions.Parse(["run", "--arch", "x64", "--kernel", "k.elf", "--no-nic"]).ToRunOptions().Nic);
    }

    [Fact]
    public void Every_test_configuration_boots_with_the_nic()
        => Assert.All(Molt.TestDriver.KernelConfiguration.All, c => Assert.True(c.Nic, $"{c.Name} boots without the NIC the pci.* and virtio.* tests need"));
}
