using Molt.Net;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>
/// 100,000+ mutated frames (fixed seed) into a stack with a listener and an
/// open connection. Half the mutants get their checksums repaired so they
/// reach the deeper layers (TCP state machine, DHCP, ICMP). Every frame
/// must be either accepted or dropped with a counted reason; nothing may throw.
/// </summary>
public class FuzzTests
{
    private static List<byte[]> Corpus()
    {
        // Real traffic: a handshake, data both ways, a close, captured from a stack pair.
        var pair = new StackPair(rx: 8192, tx: 8192, conns: 4);
        var cap = new List<byte[]>();
        pair.DevA.Record = pair.DevB.Record = true;
        int l = pair.B.Listen(80, 4);
        pair.A.Lock(); var c = pair.A.Tcp.Connect(StackPair.IpB, 80, out _); pair.A.Unlock();
        TcpSocket s = default;
        pair.Run(() => { if (!s.IsValid) { pair.B.Lock(); s = pair.B.Tcp.Accept(l); pair.B.Unlock(); } return s.IsValid; }, 1_000_000);
        pair.DevA.Peer = null; pair.DevB.Peer = null; // capture instead of deliver
        pair.A.Lock(); pair.A.Tcp.Write(c, new byte[3000]); pair.A.Tcp.Close(c); pair.A.Unlock();
        pair.B.Lock(); pair.B.Tcp.Write(s, "HTTP/1.1 200 OK\r\n\r\n"u8); pair.B.Unlock();
        cap.AddRange(pair.DevA.Sent); cap.AddRange(pair.DevB.Sent);
        // ARP, ICMP, UDP/DHCP-shaped frames.
        byte[] arp = new byte[42];
        Ethernet.Write(arp, new byte[] { 255, 255, 255, 255, 255, 255 }, new byte[] { 2, 0, 0, 0, 0, 1 }, Ethernet.TypeArp);
        Arp.Write(arp.AsSpan(14), Arp.OpRequest, new byte[] { 2, 0, 0, 0, 0, 1 }, StackPair.IpA, new byte[6], StackPair.IpB);
        cap.Add(arp);
        byte[] icmp = new byte[14 + 20 + 16];
        Icmp.WriteEcho(icmp.AsSpan(34), Icmp.EchoRequest, 1, 2, "12345678"u8);
        Ipv4.Write(icmp.AsSpan(14), 16, 3, Ipv4.ProtoIcmp, StackPair.IpA, StackPair.IpB);
        Ethernet.Write(icmp, pair.DevB.Mac, new byte[] { 2, 0, 0, 0, 0, 1 }, Ethernet.TypeIpv4);
        cap.Add(icmp);
        byte[] udp = new byte[42 + 300];
        udp[42] = 2; Be.Put32(udp, 42 + 236, 0x63825363); udp[42 + 240] = 53; udp[42 + 241] = 1; udp[42 + 242] = 2; udp[42 + 243] = 255;
        Udp.Write(udp.AsSpan(34), 67, 68, 300, StackPair.IpA, Ip.Broadcast);
        Ipv4.Write(udp.AsSpan(14), 308, 4, Ipv4.ProtoUdp, StackPair.IpA, Ip.Broadcast);
        Ethernet.Write(udp, new byte[] { 255, 255, 255, 255, 255, 255 }, new byte[] { 2, 0, 0, 0, 0, 1 }, Ethernet.TypeIpv4);
        cap.Add(udp);
        return cap;
    }

    /// <summary>Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum where the lengths allow.</summary>
    private static void Repair(byte[] f)
    {
        if (f.Length < 34 || Be.U16(f, 12) != Ethernet.TypeIpv4) return;
        int ihl = (f[14] & 0xF) * 4;
        if (ihl < 20 || 14 + ihl > f.Length) return;
        int total = Be.U16(f, 16);
        if (total < ihl || 14 + total > f.Length) return;
        Be.Put16(f, 24, 0);
        Be.Put16(f, 24, Checksum.Finish(Checksum.Add(0, f.AsSpan(14, ihl))));
        var payload = f.AsSpan(14 + ihl, total - ihl);
        uint src = Be.U32(f, 26), dst = Be.U32(f, 30);
        switch (f[23])
        {
            case Ipv4.ProtoTcp when payload.Length >= 20:
                Be.Put16(payload, 16, 0);
                Be.Put16(payload, 16, Checksum.Finish(Checksum.Add(Checksum.Pseudo(src, dst, 6, payload.Length), payload)));
                break;
            case Ipv4.ProtoUdp when payload.Length >= 8:
                int ul = Be.U16(payload, 4);
                if (ul < 8 || ul > payload.Length) break;
                Be.Put16(payload, 6, 0);
                Be.Put16(payload, 6, Checksum.Finish(Checksum.Add(Checksum.Pseudo(src, dst, 17, ul), payload.Slice(0, ul))));
                break;
            case Ipv4.ProtoIcmp when payload.Length >= 8:
                Be.Put16(payload, 2, 0);
                Be.Put16(payload, 2, Checksum.Finish(Checksum.Add(0, payload)));
                break;
        }
    }

    [Fact]
    public void Hundred_thousand_mutated_frames_are_each_accepted_or_dropped_with_a_reason()
    {
        var corpus = Corpus();
        Assert.True(corpus.Count >= 8);
        var clock = new FakeClock();
        var dev = new FakeDevice(0xB);
        var st = new NetStack(dev, StackPair.Config(StackPair.IpB, 8192, 8192, 8, 5), clock);
        st.Listen(80, 4);
        var rng = new Random(20261202);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        const int N = 120_000;
        var reasons = new HashSet<NetCounter>();
        for (int i = 0; i < N; i++)
        {
            byte[] f = (byte[])corpus[rng.Next(corpus.Count)].Clone();
            int mutations = 1 + rng.Next(4);
            for (int m = 0; m < mutations; m++)
            {
                switch (rng.Next(7))
                {
                    case 0: if (f.Length > 0) f[rng.Next(f.Length)] ^= (byte)(1 << rng.Next(8)); break;
                    case 1: if (f.Length > 0) f[rng.Next(f.Length)] = (byte)rng.Next(256); break;
                    case 2: Array.Resize(ref f, rng.Next(f.Length + 1)); break;
                    case 3: Array.Resize(ref f, f.Length + rng.Next(64)); break;
                    case 4: if (f.Length > 40) f[14 + rng.Next(27)] = (byte)rng.Next(256); break; // IP/TCP header bytes
                    case 5: if (f.Length > 50) { int o = 34 + rng.Next(16); f[o] = (byte)rng.Next(256); } break; // TCP ports/seq/ack/offset/flags
                    case 6: if (f.Length > 48) f[47] = (byte)rng.Next(64); break; // TCP flags
                }
            }
            if (rng.Next(2) == 0) Repair(f);
            long framesBefore = st.Counters[NetCounter.RxFrames];
            long acc = st.Counters[NetCounter.RxAccepted], drop = st.Counters[NetCounter.RxDropped], drops = st.Counters.TotalDrops;
            dev.Inbox.Enqueue(f);
            st.PollOnce();
            Assert.Equal(framesBefore + 1, st.Counters[NetCounter.RxFrames]);
            bool accepted = st.Counters[NetCounter.RxAccepted] == acc + 1;
            bool dropped = st.Counters[NetCounter.RxDropped] == drop + 1;
            Assert.True(accepted ^ dropped, $"frame {i}: neither or both");
            if (dropped) Assert.True(st.Counters.TotalDrops > drops, $"frame {i}: dropped without a reason");
            if ((i & 1023) == 0) { clock.Now += 50_000; st.PollOnce(); dev.Sent.Clear(); }
        }
        for (int r = (int)NetCounter.DropTruncated; r <= (int)NetCounter.DropSourceAddress; r++) if (st.Counters.Values[r] > 0) reasons.Add((NetCounter)r);
        Assert.True(st.Counters[NetCounter.RxAccepted] > 1000, "mutants reached the upper layers");
        Assert.Contains(NetCounter.DropBadChecksum, reasons);
        Assert.Contains(NetCounter.DropTruncated, reasons);
        Assert.True(reasons.Count >= 8, string.Join(",", reasons));
        Assert.True(sw.Elapsed.TotalSeconds < 60);
        // The stack still works afterwards: a clean connection through it.
        clock.Now += 10_000_000; st.PollOnce();
        Assert.True(st.Tcp.ActiveCount <= st.Tcp.Capacity);
    }
}
