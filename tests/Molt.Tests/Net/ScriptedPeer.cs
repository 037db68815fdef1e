using Molt.Net;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>
/// The test plays the remote host by hand: it builds frames, feeds them to
/// one stack, and reads back what the stack transmitted.
/// </summary>
public sealed class ScriptedPeer
{
    public readonly FakeClock Clock = new();
    public readonly FakeDevice Dev = new(0x1);
    public readonly NetStack Stack;
    public static readonly byte[] PeerMac = { 0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC };
    public static readonly uint StackIp = Ip.Make(10, 0, 2, 15), PeerIp = Ip.Make(10, 0, 2, 2);

    public ScriptedPeer(int rx = 16 * 1024, int tx = 16 * 1024, bool learnArp = true)
    {
        NetConfig c = StackPair.Config(StackIp, rx, tx, 8, 7);
        c.ArpTimeoutMicroseconds = 1L << 50; // scripted tests jump minutes ahead; the peer never answers ARP
        Stack = new NetStack(Dev, c, Clock);
        if (learnArp) { Stack.Lock(); Stack.ArpTable.Put(PeerIp, PeerMac, 0); Stack.Unlock(); }
    }

    public void Inject(byte[] frame) { Dev.Inbox.Enqueue(frame); Stack.PollOnce(); }

    public void Advance(long us) { Clock.Now += us; Stack.PollOnce(); }

    /// <summary>Advances in 1 ms steps until a frame is sent or the limit passes.</summary>
    public bool AdvanceUntilSent(long limitUs)
    {
        int before = Dev.Sent.Count;
        for (long t = 0; t < limitUs && Dev.Sent.Count == before; t += 1000) Advance(1000);
        return Dev.Sent.Count > before;
    }

    public byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, byte flags, ushort window, ReadOnlySpan<byte> data = default, int mss = 0, int ws = -1)
    {
        byte[] f = new byte[14 + 20 + 28 + data.Length];
        int hl = TcpHeader.Length(mss > 0);
        data.CopyTo(f.AsSpan(34 + hl));
        int len = TcpHeader.Write(f.AsSpan(34), PeerIp, StackIp, sport, dport, seq, ack, flags, window, mss, ws, data.Length);
        Ipv4.Write(f.AsSpan(14), len, 1, Ipv4.ProtoTcp, PeerIp, StackIp);
        Ethernet.Write(f, Dev.Mac, PeerMac, Ethernet.TypeIpv4);
        return f.AsSpan(0, 34 + len).ToArray();
    }

    /// <summary>Parses the TCP segments the stack sent since <paramref name="from"/> (frames from index).</summary>
    public List<Seg> SentSegments(int from = 0)
    {
        var list = new List<Seg>();
        for (int i = from; i < Dev.Sent.Count; i++)
        {
            byte[] f = Dev.Sent[i];
            if (Ethernet.Type(f) != Ethernet.TypeIpv4) continue;
            var ip = f.AsSpan(14);
            Assert.Equal(NetCounter.None, Ipv4.Validate(ip, out int hl, out int total));
            if (Ipv4.Protocol(ip) != Ipv4.ProtoTcp) continue;
            Assert.Equal(NetCounter.None, TcpHeader.Parse(ip.Slice(hl, total - hl), Ipv4.Source(ip), Ipv4.Destination(ip), out TcpSegment s));
            list.Add(new Seg(s.Seq, s.Ack, s.Flags, s.Window, s.Payload.ToArray(), s.Mss, s.WindowScale, s.SourcePort));
        }
        return list;
    }

    public Seg Last() { var l = SentSegments(); Assert.NotEmpty(l); return l[^1]; }

    public record Seg(uint Seq, uint Ack, byte Flags, ushort Window, byte[] Data, int Mss, int WindowScale, ushort SourcePort)
    {
        public bool Has(byte f) => (Flags & f) != 0;
    }

    /// <summary>Passive open on port 80 from peer port 4000, peer ISN 1000; returns the stack's ISN and the accepted socket.</summary>
    public (uint iss, TcpSocket sock) Establish(ushort window = 65535, int ws = -1)
    {
        int l = Stack.Listen(80, 4);
        Inject(Tcp(4000, 80, 1000, 0, TcpFlags.Syn, window, default, 1460, ws));
        var synAck = Last();
        Assert.True(synAck.Has(TcpFlags.Syn) && synAck.Has(TcpFlags.Ack));
        Assert.Equal(1001u, synAck.Ack);
        Inject(Tcp(4000, 80, 1001, synAck.Seq + 1, TcpFlags.Ack, window));
        Stack.Lock(); TcpSocket s = Stack.Tcp.Accept(l); Stack.Unlock();
        Assert.True(s.IsValid);
        return (synAck.Seq, s);
    }
}
