using Molt.Net;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>
/// What the lossy-link system test needed from the sender: Limited Transmit
/// (RFC 3042) and duplicate ACKs recognized whatever window they carry; and
/// the <c>net.rto_min=</c> option.
/// </summary>
public class TcpLossRecoveryTests
{
    private const byte A = TcpFlags.Ack;

    private static void Write(ScriptedPeer p, TcpSocket s, int n)
    {
        byte[] d = new byte[n];
        p.Stack.Lock(); Assert.Equal(n, p.Stack.Tcp.Write(s, d)); p.Stack.Unlock();
    }

    [Fact]
    public void The_first_two_duplicate_acks_each_send_one_new_segment_then_the_third_retransmits()
    {
        var p = new ScriptedPeer(tx: 64 * 1024);
        var (iss, s) = p.Establish();
        Write(p, s, 14 * 1460);
        Assert.Equal(10, p.SentSegments().Count(x => x.Data.Length == 1460)); // the initial window: 10 MSS
        int before = p.Dev.Sent.Count;
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        var one = p.SentSegments(before);
        Assert.Single(one);
        Assert.Equal(iss + 1 + 10 * 1460, one[0].Seq); // new data, beyond cwnd
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        var two = p.SentSegments(before);
        Assert.Equal(2, two.Count);
        Assert.Equal(iss + 1 + 11 * 1460, two[1].Seq);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        var three = p.SentSegments(before);
        Assert.Equal(iss + 1, three[2].Seq); // the fast retransmission of the first segment
        Assert.Equal(1, p.Stack.Counters[NetCounter.TcpFastRetransmits]);
    }

    [Fact]
    public void Duplicate_acks_whose_window_moves_still_count()
    {
        var p = new ScriptedPeer(tx: 64 * 1024);
        var (iss, s) = p.Establish();
        Write(p, s, 5 * 1460);
        // The receiver's reader drains between the ACKs: each carries another window.
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 60000));
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 62000));
        Assert.Equal(1, p.Stack.Counters[NetCounter.TcpFastRetransmits]);
        Assert.Equal(iss + 1, p.Last().Seq);
        // Not duplicates: an ACK with data, or with nothing outstanding.
        var q = new ScriptedPeer(tx: 64 * 1024);
        var (iss2, s2) = q.Establish();
        for (int i = 0; i < 5; i++) q.Inject(q.Tcp(4000, 80, 1001, iss2 + 1, A, (ushort)(60000 + i)));
        Assert.Equal(0, q.Stack.Counters[NetCounter.TcpDuplicateAcks]);
        Write(q, s2, 2 * 1460);
        for (int i = 0; i < 5; i++) q.Inject(q.Tcp(4000, 80, (uint)(1001 + i * 10), iss2 + 1, A, 65535, new byte[10]));
        Assert.Equal(0, q.Stack.Counters[NetCounter.TcpFastRetransmits]);
    }

    [Fact]
    public void Rto_min_option_sets_the_floor_and_the_initial_rto_within_bounds()
    {
        NetConfig c = NetConfig.Default();
        Assert.Equal(1_000_000, c.MinRtoMicroseconds);
        Assert.True(c.Apply("net.rto_min"u8, "200"u8));
        Assert.Equal(200_000, c.MinRtoMicroseconds);
        Assert.Equal(200_000, c.InitialRtoMicroseconds);
        Assert.False(c.Apply("net.rto_min"u8, "5"u8));
        Assert.False(c.Apply("net.rto_min"u8, "1001"u8));
        Assert.False(c.Apply("net.rto_min"u8, "2x"u8));
        Assert.Equal(200_000, c.MinRtoMicroseconds);
        Assert.True(c.Apply("net.rto_max"u8, "2000"u8));
        Assert.Equal(2_000_000, c.MaxRtoMicroseconds);
        Assert.False(c.Apply("net.rto_max"u8, "999"u8));
        Assert.False(c.Apply("net.rto_max"u8, "60001"u8));
    }
}
