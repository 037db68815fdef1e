using System.Globalization;

namespace Molt.QemuRunner;

/// <summary>
/// A forward from a TCP port on the host's loopback to a guest port
/// (<c>hostfwd=tcp:127.0.0.1:HOST-:GUEST</c>). Only 127.0.0.1 is ever bound:
/// test traffic stays on this machine.
/// </summary>
public readonly record struct QemuPortForward(int HostPort, int GuestPort)
{
    /// <summary>The <c>-netdev user</c> option for this forward.</summary>
    public string ToQemu() => string.Create(CultureInfo.InvariantCulture, $"hostfwd=tcp:127.0.0.1:{HostPort}-:{GuestPort}");
}

/// <summary>
/// The network card of a run. By default the one <c>make run</c> adds (Makefile
/// NET_ARGS): QEMU user networking with <c>restrict=on</c> (the guest
/// reaches nothing outside QEMU; DHCP, the gateway's ping and the forwards
/// still work) and a modern-only virtio-net (<c>disable-legacy=on</c>,
/// device id 0x1041), the device Molt drives. Or (<see cref="Stream"/>)
/// the same device on a unix stream socket to a host peer that plays the
/// rest of the network (the lossy-link system test).
/// </summary>
public sealed record QemuNic
{
    /// <summary>The -netdev id.</summary>
    public string Id { get; init; } = "n0";

    /// <summary>Host-loopback ports forwarded into the guest.</summary>
    public IReadOnlyList<QemuPortForward> Forwards { get; init; } = [];

    /// <summary>When set, every frame on the NIC is written to this pcap file (<c>-object filter-dump</c>).</summary>
    public string? PcapPath { get; init; }

    /// <summary>
    /// When set, the NIC is not on a user network but on a stream socket
    /// (<c>-netdev stream</c>, QEMU 7.2+): QEMU connects, as a client, to the
    /// unix socket at this path, where a test's host peer listens, and every
    /// Ethernet frame crosses it with a 4-byte big-endian length before it.
    /// No DHCP and no gateway on such a link: the guest takes <c>ip=</c> and
    /// <c>gw=</c> from its command line. A unix socket binds no port at all.
    /// </summary>
    public string? StreamSocketPath { get; init; }

    /// <summary>A NIC on a restricted user network with these forwards.</summary>
    public static QemuNic UserRestricted(params QemuPortForward[] forwards) => new() { Forwards = forwards };

    /// <summary>A NIC whose frames go to a host peer listening on the unix socket <paramref name="path"/> (<see cref="StreamSocketPath"/>).</summary>
    public static QemuNic Stream(string path) => new() { StreamSocketPath = path };

    /// <summary>The QEMU arguments for this NIC.</summary>
    public IEnumerable<string> Arguments()
    {
        var netdev = StreamSocketPath != null
            ? $"stream,id={Id},server=off,addr.type=unix,addr.path={StreamSocketPath.Replace(",", ",,")}"
            : $"user,id={Id},restrict=on";
        foreach (var f in Forwards) netdev += "," + f.ToQemu();
        yield return "-netdev";
        yield return netdev;
        yield return "-device";
        yield return $"virtio-net-pci,netdev={Id},disable-legacy=on";
        if (PcapPath != null)
        {
            yield return "-object";
            yield return $"filter-dump,id={Id}-dump,netdev={Id},file={PcapPath.Replace(",", ",,")}";
        }
    }

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Id) || Id.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_'))
            throw new ArgumentException($"NIC id '{Id}' must be letters, digits, '-' or '_'");
        foreach (var f in Forwards)
        {
            if (f.HostPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(Forwards), f.HostPort, "host port must be 1..65535");
            if (f.GuestPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(Forwards), f.GuestPort, "guest port must be 1..65535");
        }
        if (Forwards.Select(f => f.HostPort).Distinct().Count() != Forwards.Count)
            throw new ArgumentException("two forwards use the same host port");
        if (StreamSocketPath != null)
        {
            if (Forwards.Count != 0) throw new ArgumentException("a stream NIC has no user network: port forwards need QemuNic.UserRestricted");
            // sun_path holds 108 bytes with its terminating NUL.
            if (StreamSocketPath.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(StreamSocketPath) > 107)
                throw new ArgumentException($"stream socket path '{StreamSocketPath}' must be 1..107 bytes (a unix socket's sun_path)");
        }
    }
}
