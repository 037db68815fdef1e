using System.Net;
using System.Net.NetworkInformation;
using Molt.Net;
using Molt.Net.Wire;
using PacketDotNet;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>Header parsing and checksums, cross-checked against frames built and parsed by PacketDotNet 1.4.8.</summary>
public class WireTests
{
    private static readonly PhysicalAddress MacA = PhysicalAddress.Parse("52-54-00-12-34-0A");
    private static readonly PhysicalAddress MacB = PhysicalAddress.Parse("52-54-00-12-34-0B");
    private static readonly IPAddress IpA = IPAddress.Parse("10.0.2.15"), IpB = IPAddress.Parse("10.0.2.2");

    private static byte[] PdnTcp(byte[] payload, bool syn)
    {
        // A header with options, written by hand (PacketDotNet then owns checksums and the rest).
        int hl = syn ? 28 : 20;
        byte[] raw = new byte[hl + payload.Length];
        raw[0] = 40000 >> 8; raw[1] = 40000 & 0xFF; raw[3] = 80;
        raw[4] = 0xFE; raw[5] = 0xDC; raw[6] = 0xBA; raw[7] = 0x98; raw[8] = 1; raw[9] = 2; raw[10] = 3; raw[11] = 4;
        raw[12] = (byte)(hl / 4 << 4); raw[13] = (byte)(0x10 | (syn ? 0x02 : 0)); raw[14] = 5000 >> 8; raw[15] = 5000 & 0xFF;
        if (syn) new byte[] { 2, 4, 0x05, 0xB4, 3, 3, 7, 1 }.CopyTo(raw, 20);
        payload.CopyTo(raw, hl);
        var tcp = new TcpPacket(new PacketDotNet.Utils.ByteArraySegment(raw));
        var ip = new IPv4Packet(IpB, IpA) { TimeToLive = 64, PayloadPacket = tcp };
        var eth = new EthernetPacket(MacB, MacA, EthernetType.IPv4) { PayloadPacket = ip };
        tcp.UpdateTcpChecksum(); ip.UpdateIPChecksum();
        return eth.Bytes;
    }

    [Fact]
    public void Tcp_frame_from_packetdotnet_parses_with_valid_checksums_and_options()
    {
        byte[] payload = new byte[333]; new Random(1).NextBytes(payload);
        byte[] f = PdnTcp(payload, true);
        var ip = f.AsSpan(14);
        Assert.Equal(NetCounter.None, Ipv4.Validate(ip, out int hl, out int total));
        Assert.Equal(Ipv4.ProtoTcp, Ipv4.Protocol(ip));
        Assert.Equal(NetCounter.None, TcpHeader.Parse(ip.Slice(hl, total - hl), Ipv4.Source(ip), Ipv4.Destination(ip), out TcpSegment s));
        Assert.Equal(40000, s.SourcePort); Assert.Equal(80, s.DestinationPort);
        Assert.Equal(0xFEDCBA98u, s.Seq); Assert.Equal(0x01020304u, s.Ack);
        Assert.Equal(5000, s.Window);
        Assert.Equal(1460, s.Mss); Assert.Equal(7, s.WindowScale);
        Assert.True(s.Has(TcpFlags.Syn) && s.Has(TcpFlags.Ack));
        Assert.Equal(payload, s.Payload.ToArray());
    }

    [Fact]
    public void Frames_we_build_are_valid_for_packetdotnet()
    {
        byte[] f = new byte[14 + 20 + 28 + 100];
        var data = f.AsSpan(14 + 20 + 28, 100);
        for (int i = 0; i < 100; i++) data[i] = (byte)(i * 7);
        int len = TcpHeader.Write(f.AsSpan(34), Ip.Make(10, 0, 2, 15), Ip.Make(10, 0, 2, 2), 80, 40000, 7, 9, (byte)(TcpFlags.Syn | TcpFlags.Ack), 1234, 1460, 3, 100);
        Ipv4.Write(f.AsSpan(14), len, 77, Ipv4.ProtoTcp, Ip.Make(10, 0, 2, 15), Ip.Make(10, 0, 2, 2));
        Ethernet.Write(f, MacB.GetAddressBytes(), MacA.GetAddressBytes(), Ethernet.TypeIpv4);
        var pkt = Packet.ParsePacket(LinkLayers.Ethernet, f.AsSpan(0, 34 + len).ToArray());
        var ip = pkt.Extract<IPv4Packet>();
        var tcp = pkt.Extract<TcpPacket>();
        Assert.True(ip.ValidIPChecksum);
        Assert.True(tcp.ValidTcpChecksum);
        Assert.Equal(1234, tcp.WindowSize);
        Assert.Equal(100, tcp.PayloadData.Length);
        Assert.Equal("10.0.2.2", ip.DestinationAddress.ToString());

        // UDP and ICMP the same way.
        byte[] u = new byte[14 + 20 + 8 + 5];
        "hello"u8.CopyTo(u.AsSpan(42));
        Udp.Write(u.AsSpan(34), 68, 67, 5, 0, Ip.Broadcast);
        Ipv4.Write(u.AsSpan(14), 13, 1, Ipv4.ProtoUdp, 0, Ip.Broadcast);
        Ethernet.Write(u, new byte[] { 255, 255, 255, 255, 255, 255 }, MacA.GetAddressBytes(), Ethernet.TypeIpv4);
        var up = Packet.ParsePacket(LinkLayers.Ethernet, u).Extract<UdpPacket>();
        Assert.True(up.ValidUdpChecksum);
        Assert.Equal(67, up.DestinationPort);

        byte[] ic = new byte[14 + 20 + 8 + 4];
        Icmp.WriteEcho(ic.AsSpan(34), Icmp.EchoRequest, 0x1234, 7, new byte[] { 1, 2, 3, 4 });
        Ipv4.Write(ic.AsSpan(14), 12, 2, Ipv4.ProtoIcmp, Ip.Make(10, 0, 2, 15), Ip.Make(10, 0, 2, 2));
        Ethernet.Write(ic, MacB.GetAddressBytes(), MacA.GetAddressBytes(), Ethernet.TypeIpv4);
        var icmp = Packet.ParsePacket(LinkLayers.Ethernet, ic).Extract<IcmpV4Packet>();
        Assert.Equal(IcmpV4TypeCode.EchoRequest, icmp.TypeCode);
        Assert.True(icmp.ValidIcmpChecksum);
    }

    [Fact]
    public void Checksum_known_values()
    {
        // RFC 1071 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d.
        byte[] d = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
        Assert.Equal(0x220d, Checksum.Finish(Checksum.Add(0, d)));
        // A real IPv4 header (from a capture) with its checksum b1e6 verifies.
        byte[] h = Convert.FromHexString("4500003c1c4640004006b1e6ac100a63ac100a0c");
        Assert.True(Checksum.Verify(Checksum.Add(0, h)));
        // Odd length: the last byte is padded with zero.
        Assert.Equal(Checksum.Finish(Checksum.Add(0, new byte[] { 1, 2, 3, 0 })), Checksum.Finish(Checksum.Add(0, new byte[] { 1, 2, 3 })));
    }

    [Fact]
    public void Malformed_headers_are_refused_with_the_precise_reason()
    {
        byte[] f = PdnTcp(new byte[10], false);
        var ip = f.AsSpan(14).ToArray();
        Assert.Equal(NetCounter.DropTruncated, Ipv4.Validate(ip.AsSpan(0, 19), out _, out _));
        var v6 = (byte[])ip.Clone(); v6[0] = 0x65;
        Assert.Equal(NetCounter.DropIpVersion, Ipv4.Validate(v6, out _, out _));
        var ihl = (byte[])ip.Clone(); ihl[0] = 0x44;
        Assert.Equal(NetCounter.DropBadLength, Ipv4.Validate(ihl, out _, out _));
        var longer = (byte[])ip.Clone(); longer[3] += 50;
        Assert.Equal(NetCounter.DropTruncated, Ipv4.Validate(longer, out _, out _));
        var sum = (byte[])ip.Clone(); sum[8] ^= 1;
        Assert.Equal(NetCounter.DropBadChecksum, Ipv4.Validate(sum, out _, out _));
        var frag = (byte[])ip.Clone(); frag[6] = 0x20; frag[10] = 0; frag[11] = 0;
        Molt.Net.Wire.Be.Put16(frag, 10, Checksum.Finish(Checksum.Add(0, frag.AsSpan(0, 20))));
        Assert.Equal(NetCounter.DropFragment, Ipv4.Validate(frag, out _, out _));

        var tcp = ip.AsSpan(20).ToArray();
        uint s = Ip.Make(10, 0, 2, 2), d = Ip.Make(10, 0, 2, 15);
        Assert.Equal(NetCounter.None, TcpHeader.Parse(tcp, s, d, out _));
        var bad = (byte[])tcp.Clone(); bad[20] ^= 0x40;
        Assert.Equal(NetCounter.DropBadChecksum, TcpHeader.Parse(bad, s, d, out _));
        var off = (byte[])tcp.Clone(); off[12] = 0x40;
        Assert.Equal(NetCounter.DropBadLength, TcpHeader.Parse(off, s, d, out _));
        Assert.Equal(NetCounter.DropTruncated, TcpHeader.Parse(tcp.AsSpan(0, 19), s, d, out _));
        Assert.Equal(NetCounter.DropTruncated, Arp.Validate(new byte[27]));
    }

    [Fact]
    public void Bad_tcp_option_lengths_are_refused()
    {
        byte[] seg = new byte[24];
        seg[12] = 0x60; seg[20] = 2; seg[21] = 9; // MSS claiming 9 bytes in a 4-byte option area
        Be.Put16(seg, 0, 1); Be.Put16(seg, 2, 2);
        uint s = 1, d = 2;
        Be.Put16(seg, 16, Checksum.Finish(Checksum.Add(Checksum.Pseudo(s, d, 6, 24), seg)));
        Assert.Equal(NetCounter.DropTcpBadOption, TcpHeader.Parse(seg, s, d, out _));
    }

    [Fact]
    public void Ip_and_config_parsing()
    {
        Assert.True(Ip.TryParse("10.0.2.15"u8, out uint ip)); Assert.Equal(0x0A00020Fu, ip);
        Assert.False(Ip.TryParse("10.0.2"u8, out _));
        Assert.False(Ip.TryParse("10.0.2.256"u8, out _));
        Assert.False(Ip.TryParse("10.0.2.15.1"u8, out _));
        Assert.False(Ip.TryParse("1..2.3"u8, out _));
        Assert.True(Ip.TryParseCidr("10.0.2.15/24"u8, out ip, out uint mask)); Assert.Equal(0xFFFFFF00u, mask);
        NetConfig c = NetConfig.Default();
        Assert.True(c.Apply("ip"u8, "10.0.2.15/24"u8));
        Assert.True(c.Apply("gw"u8, "10.0.2.2"u8));
        Assert.True(c.Apply("kv.port"u8, "9090"u8));
        Assert.False(c.Apply("kv.port"u8, "99999"u8));
        Assert.False(c.Apply("ip"u8, "x"u8));
        Assert.False(c.UseDhcp);
        Assert.Equal(Ip.Make(10, 0, 2, 2), c.Gateway);
        Assert.Equal(9090, c.KvPort);
    }
}
