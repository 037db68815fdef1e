using Molt.Net;
using Molt.Net.Wire;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>ARP, ICMP echo and the DHCP exchange against a scripted server.</summary>
public class ArpDhcpTests
{
    private static readonly byte[] ServerMac = { 0x52, 0x55, 0x0A, 0x00, 0x02, 0x02 };
    private static readonly uint Server = Ip.Make(10, 0, 2, 2);

    private static byte[] Udp4(uint src, uint dst, ushort sport, ushort dport, byte[] dstMac, ReadOnlySpan<byte> payload)
    {
        byte[] f = new byte[42 + payload.Length];
        payload.CopyTo(f.AsSpan(42));
        Udp.Write(f.AsSpan(34), sport, dport, payload.Length, src, dst);
        Ipv4.Write(f.AsSpan(14), 8 + payload.Length, 9, Ipv4.ProtoUdp, src, dst);
        Ethernet.Write(f, dstMac, ServerMac, Ethernet.TypeIpv4);
        return f;
    }

    private static (byte type, uint requested, uint xid) ParseDhcp(byte[] frame)
    {
        Assert.Equal(Ethernet.TypeIpv4, Ethernet.Type(frame));
        Assert.True(Ethernet.IsBroadcast(Ethernet.Destination(frame)));
        var ip = frame.AsSpan(14);
        Assert.Equal(NetCounter.None, Ipv4.Validate(ip, out int hl, out int total));
        Assert.Equal(Ip.Broadcast, Ipv4.Destination(ip));
        var udp = ip.Slice(hl, total - hl);
        Assert.Equal(NetCounter.None, Udp.Validate(udp, Ipv4.Source(ip), Ipv4.Destination(ip), out int len));
        Assert.Equal(67, Udp.DestinationPort(udp));
        var m = udp.Slice(8, len - 8);
        Assert.Equal(0x63825363u, Be.U32(m, 236));
        byte type = 0; uint req = 0;
        for (int i = 240; i < m.Length && m[i] != 255;)
        {
            if (m[i] == 0) { i++; continue; }
            if (m[i] == 53) type = m[i + 2];
            if (m[i] == 50) req = Be.U32(m, i + 2);
            i += 2 + m[i + 1];
        }
        return (type, req, Be.U32(m, 4));
    }

    private static byte[] Reply(byte type, uint xid, byte[] mac, uint yiaddr, bool withOptions = true)
    {
        byte[] m = new byte[300];
        m[0] = 2; m[1] = 1; m[2] = 6; Be.Put32(m, 4, xid); Be.Put32(m, 16, yiaddr); mac.CopyTo(m, 28); Be.Put32(m, 236, 0x63825363);
        int i = 240;
        m[i++] = 53; m[i++] = 1; m[i++] = type;
        if (withOptions)
        {
            m[i++] = 54; m[i++] = 4; Be.Put32(m, i, Server); i += 4;
            m[i++] = 1; m[i++] = 4; Be.Put32(m, i, 0xFFFFFF00); i += 4;
            m[i++] = 3; m[i++] = 4; Be.Put32(m, i, Server); i += 4;
            m[i++] = 51; m[i++] = 4; Be.Put32(m, i, 86400); i += 4;
        }
        m[i++] = 255;
        return m;
    }

    [Fact]
    public void Dhcp_discover_offer_request_ack_configures_the_stack()
    {
        var clock = new FakeClock();
        var dev = new FakeDevice(0x15);
        NetConfig c = StackPair.Config(0, 4096, 4096, 4, 3);
        c.UseDhcp = true; c.Address = 0; c.Gateway = 0;
        var st = new NetStack(dev, c, clock);
        Assert.Equal(DhcpState.Selecting, st.DhcpState);
        var (type, _, xid) = ParseDhcp(dev.Sent[^1]);
        Assert.Equal(1, type);

        // Hostile or foreign replies first: wrong xid, wrong MAC, truncated options.
        var bcast = new byte[] { 255, 255, 255, 255, 255, 255 };
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(2, xid + 1, dev.Mac, Ip.Make(10, 0, 2, 15))));
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(2, xid, new byte[6], Ip.Make(10, 0, 2, 15))));
        var broken = Reply(2, xid, dev.Mac, Ip.Make(10, 0, 2, 15)); broken[241] = 200;
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, broken));
        st.PollOnce();
        Assert.Equal(3, st.Counters[NetCounter.DropDhcp]);
        Assert.Equal(DhcpState.Selecting, st.DhcpState);

        // No answer: DISCOVER again after 4 s... then 8 s.
        int sent = dev.Sent.Count;
        clock.Now += 8_000_000; st.PollOnce();
        Assert.Equal(sent + 1, dev.Sent.Count);

        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(2, xid, dev.Mac, Ip.Make(10, 0, 2, 15))));
        st.PollOnce();
        var (t2, req, xid2) = ParseDhcp(dev.Sent[^1]);
        Assert.Equal(3, t2);
        Assert.Equal(Ip.Make(10, 0, 2, 15), req);
        Assert.Equal(xid, xid2);
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(5, xid, dev.Mac, Ip.Make(10, 0, 2, 15))));
        st.PollOnce();
        Assert.Equal(DhcpState.Bound, st.DhcpState);
        Assert.Equal(Ip.Make(10, 0, 2, 15), st.Address);
        Assert.Equal(Server, st.Gateway);
        Assert.Equal(0xFFFFFF00u, st.Netmask);
        Assert.Equal(1, st.Counters[NetCounter.DhcpBound]);
    }

    [Fact]
    public void Dhcp_ack_without_a_router_uses_the_server_as_gateway()
    {
        // QEMU's restricted user network (restrict=on) leaves out the router option.
        var clock = new FakeClock();
        var dev = new FakeDevice(0x17);
        NetConfig c = StackPair.Config(0, 4096, 4096, 4, 3);
        c.UseDhcp = true; c.Address = 0; c.Gateway = 0;
        var st = new NetStack(dev, c, clock);
        var (_, _, xid) = ParseDhcp(dev.Sent[^1]);
        var bcast = new byte[] { 255, 255, 255, 255, 255, 255 };
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(2, xid, dev.Mac, Ip.Make(10, 0, 2, 15))));
        st.PollOnce();
        byte[] ack = Reply(5, xid, dev.Mac, Ip.Make(10, 0, 2, 15), false);
        ack[243] = 54; ack[244] = 4; Be.Put32(ack, 245, Server); ack[249] = 255; // server id only
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, ack));
        st.PollOnce();
        Assert.Equal(DhcpState.Bound, st.DhcpState);
        Assert.Equal(Server, st.Gateway);
        Assert.Equal(0xFFFFFF00u, st.Netmask);
    }

    [Fact]
    public void Dhcp_nak_restarts_discovery()
    {
        var clock = new FakeClock();
        var dev = new FakeDevice(0x16);
        NetConfig c = StackPair.Config(0, 4096, 4096, 4, 3);
        c.UseDhcp = true; c.Address = 0;
        var st = new NetStack(dev, c, clock);
        var (_, _, xid) = ParseDhcp(dev.Sent[^1]);
        var bcast = new byte[] { 255, 255, 255, 255, 255, 255 };
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(2, xid, dev.Mac, Ip.Make(10, 0, 2, 15))));
        st.PollOnce();
        dev.Inbox.Enqueue(Udp4(Server, Ip.Broadcast, 67, 68, bcast, Reply(6, xid, dev.Mac, 0, false)));
        st.PollOnce();
        Assert.Equal(DhcpState.Selecting, st.DhcpState);
        Assert.Equal(1, ParseDhcp(dev.Sent[^1]).type);
    }

    [Fact]
    public void Arp_request_for_us_is_answered_and_learned_others_are_not()
    {
        var p = new ScriptedPeer(learnArp: false);
        byte[] f = new byte[42];
        Ethernet.Write(f, new byte[] { 255, 255, 255, 255, 255, 255 }, ScriptedPeer.PeerMac, Ethernet.TypeArp);
        Arp.Write(f.AsSpan(14), Arp.OpRequest, ScriptedPeer.PeerMac, ScriptedPeer.PeerIp, new byte[6], ScriptedPeer.StackIp);
        p.Inject(f);
        byte[] r = p.Dev.Sent[^1];
        Assert.Equal(Ethernet.TypeArp, Ethernet.Type(r));
        Assert.Equal(Arp.OpReply, Arp.Op(r.AsSpan(14)));
        Assert.Equal(ScriptedPeer.StackIp, Arp.SenderIp(r.AsSpan(14)));
        Assert.Equal(p.Dev.Mac, Arp.SenderMac(r.AsSpan(14)).ToArray());
        Assert.Equal(ScriptedPeer.PeerMac, Ethernet.Destination(r).ToArray());
        Span<byte> mac = stackalloc byte[6];
        Assert.True(p.Stack.ArpTable.TryGet(ScriptedPeer.PeerIp, p.Clock.Now, mac));

        byte[] other = (byte[])f.Clone();
        Be.Put32(other, 14 + 24, Ip.Make(10, 0, 2, 99));
        int sent = p.Dev.Sent.Count;
        p.Inject(other);
        Assert.Equal(sent, p.Dev.Sent.Count);
        Assert.Equal(1, p.Stack.Counters[NetCounter.DropNotForUs]);
    }

    [Fact]
    public void Arp_entries_expire()
    {
        var cache = new ArpCache(2, 1000);
        cache.Put(1, new byte[] { 1, 2, 3, 4, 5, 6 }, 0);
        Span<byte> mac = stackalloc byte[6];
        Assert.True(cache.TryGet(1, 999, mac));
        Assert.False(cache.TryGet(1, 1000, mac));
        cache.Put(2, new byte[6], 0); cache.Put(3, new byte[6], 500); cache.Put(4, new byte[6], 600);
        Assert.Equal(2, cache.Count(600));
    }

    [Fact]
    public void Ping_the_gateway_waits_for_arp_then_sees_the_reply_and_answers_echo_requests()
    {
        var p = new ScriptedPeer(learnArp: false);
        p.Stack.Ping(ScriptedPeer.PeerIp, 0x77, 1);
        byte[] arpReq = p.Dev.Sent[^1];
        Assert.Equal(Ethernet.TypeArp, Ethernet.Type(arpReq));
        Assert.Equal(ScriptedPeer.PeerIp, Arp.TargetIp(arpReq.AsSpan(14)));
        byte[] f = new byte[42];
        Ethernet.Write(f, p.Dev.Mac, ScriptedPeer.PeerMac, Ethernet.TypeArp);
        Arp.Write(f.AsSpan(14), Arp.OpReply, ScriptedPeer.PeerMac, ScriptedPeer.PeerIp, p.Dev.Mac, ScriptedPeer.StackIp);
        p.Inject(f);
        byte[] echo = p.Dev.Sent[^1];
        Assert.Equal(Ethernet.TypeIpv4, Ethernet.Type(echo));
        var ip = echo.AsSpan(14);
        Assert.Equal(Ipv4.ProtoIcmp, Ipv4.Protocol(ip));
        Assert.Equal(Icmp.EchoRequest, ip[20]);

        // The gateway answers.
        byte[] rep = new byte[14 + 20 + 16];
        Icmp.WriteEcho(rep.AsSpan(34), Icmp.EchoReply, 0x77, 1, ip.Slice(28, 8));
        Ipv4.Write(rep.AsSpan(14), 16, 5, Ipv4.ProtoIcmp, ScriptedPeer.PeerIp, ScriptedPeer.StackIp);
        Ethernet.Write(rep, p.Dev.Mac, ScriptedPeer.PeerMac, Ethernet.TypeIpv4);
        p.Inject(rep);
        Assert.Equal(0x77, p.Stack.LastEchoId);
        Assert.Equal(1, p.Stack.Counters[NetCounter.IcmpEchoRepliesReceived]);

        // And a request to us gets a reply with the same data.
        byte[] req = (byte[])rep.Clone();
        Icmp.WriteEcho(req.AsSpan(34), Icmp.EchoRequest, 0x99, 3, "abcdefgh"u8);
        Ipv4.Write(req.AsSpan(14), 16, 6, Ipv4.ProtoIcmp, ScriptedPeer.PeerIp, ScriptedPeer.StackIp);
        p.Inject(req);
        var r = p.Dev.Sent[^1].AsSpan(14);
        Assert.Equal(Icmp.EchoReply, r[20]);
        Assert.Equal("abcdefgh"u8.ToArray(), r.Slice(28, 8).ToArray());
        Assert.Equal(NetCounter.None, Icmp.Validate(r.Slice(20, 16)));
    }
}
