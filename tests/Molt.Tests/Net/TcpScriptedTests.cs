using Molt.Net;
using Molt.Net.Tcp;
using Molt.Net.Wire;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>TCP behaviour checked segment by segment against a hand-driven peer.</summary>
public class TcpScriptedTests
{
    private const byte A = TcpFlags.Ack;

    private static int Write(ScriptedPeer p, TcpSocket s, int n)
    {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) d[i] = (byte)i;
        p.Stack.Lock(); int w = p.Stack.Tcp.Write(s, d); p.Stack.Unlock();
        return w;
    }

    [Fact]
    public void Retransmission_timer_is_not_restarted_by_duplicate_acks_only_by_new_data_acked()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        var c = p.Stack.Tcp.Connection(s.Index);
        p.Advance(1000);
        Write(p, s, 2920);
        Assert.Equal(2, p.SentSegments().Count(x => x.Data.Length == 1460));
        long t0 = c.RtoAt;
        Assert.Equal(p.Clock.Now + 1_000_000, t0);
        p.Advance(300_000);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535)); // a duplicate ACK
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 60000)); // a window change, no new data acked
        Assert.Equal(t0, c.RtoAt);
        p.Advance(200_000);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1 + 1460, A, 65535)); // new data acknowledged: restart
        Assert.Equal(p.Clock.Now + c.Rto, c.RtoAt);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1 + 2920, A, 65535)); // all acknowledged: stop
        Assert.Equal(0, c.RtoAt);
    }

    [Fact]
    public void Backoff_doubles_sticks_until_a_fresh_sample_and_caps()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        var c = p.Stack.Tcp.Connection(s.Index);
        Assert.Equal(1_000_000, c.Rto);
        Write(p, s, 100);
        int before = p.Dev.Sent.Count;
        p.Advance(999_000);
        Assert.Equal(before, p.Dev.Sent.Count);
        p.Advance(1000);                                  // 1 s: first retransmission
        Assert.Equal(2_000_000, c.Rto);
        var rt = p.Last();
        Assert.Equal(iss + 1, rt.Seq); Assert.Equal(100, rt.Data.Length);
        p.Advance(2_000_000);                             // 3 s: second
        Assert.Equal(4_000_000, c.Rto);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 101, A, 65535)); // acknowledges retransmitted data: Karn, no sample
        Assert.Equal(4_000_000, c.Rto);
        Write(p, s, 50);
        p.Advance(20_000);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 151, A, 65535)); // a fresh sample (20 ms): RTO recomputed, 1 s floor
        Assert.Equal(1_000_000, c.Rto);
        // Cap: 60 s.
        Write(p, s, 10);
        for (int i = 0; i < 8; i++) p.Advance(c.Rto);
        Assert.Equal(60_000_000, c.Rto);
        Assert.True(p.Stack.Counters[NetCounter.TcpRetransmitTimeouts] >= 10);
    }

    [Fact]
    public void Connection_gives_up_after_max_retransmissions()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        Write(p, s, 100);
        for (int i = 0; i < 20; i++) p.Advance(60_000_000);
        p.Stack.Lock(); int r = p.Stack.Tcp.Read(s, new byte[1]); p.Stack.Unlock();
        Assert.Equal(TcpError.TimedOut, r);
        Assert.True(p.Last().Has(TcpFlags.Rst), string.Join(",", p.SentSegments().Select(x => $"{x.Flags:x}/{x.Seq - iss}/{x.Data.Length}")));
    }

    [Fact]
    public void Three_duplicate_acks_trigger_fast_retransmit_and_the_counter_saturates()
    {
        var p = new ScriptedPeer(tx: 64 * 1024);
        var (iss, s) = p.Establish();
        var c = p.Stack.Tcp.Connection(s.Index);
        Write(p, s, 5 * 1460);
        Assert.Equal(5, p.SentSegments().Count(x => x.Data.Length == 1460));
        int before = p.Dev.Sent.Count;
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        Assert.Equal(before, p.Dev.Sent.Count);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        var fr = p.SentSegments(before);
        Assert.Single(fr);
        Assert.Equal(iss + 1, fr[0].Seq);
        Assert.Equal(1, p.Stack.Counters[NetCounter.TcpFastRetransmits]);
        c.DupAcks = 999_998;
        for (int i = 0; i < 10; i++) p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535));
        Assert.Equal(1_000_000, c.DupAcks);
        Assert.Equal(1, p.Stack.Counters[NetCounter.TcpFastRetransmits]);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1 + 5 * 1460, A, 65535));
        Assert.Equal(0, c.DupAcks);
        Assert.False(c.InRecovery);
    }

    [Fact]
    public void Zero_window_is_probed_with_backoff_and_data_resumes_when_it_opens()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        var c = p.Stack.Tcp.Connection(s.Index);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 0));
        Assert.Equal(0, c.SndWnd);
        int before = p.Dev.Sent.Count;
        Write(p, s, 500);
        Assert.Equal(before, p.Dev.Sent.Count);
        Assert.True(p.AdvanceUntilSent(1_100_000));
        var probe = p.Last();
        Assert.Equal(iss, probe.Seq); // one below SND.UNA: the receiver must answer with its window
        Assert.Empty(probe.Data);
        long first = p.Clock.Now;
        Assert.True(p.AdvanceUntilSent(2_100_000));
        long second = p.Clock.Now;
        Assert.True(second - first >= 1_900_000, $"backoff: {second - first}");
        Assert.True(p.Stack.Counters[NetCounter.TcpWindowProbes] >= 2);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 4000));
        var data = p.Last();
        Assert.Equal(500, data.Data.Length);
        Assert.Equal(0, c.PersistAt);
    }

    [Fact]
    public void Draining_a_full_receive_buffer_sends_a_window_update_at_once()
    {
        var p = new ScriptedPeer(rx: 8192);
        var (iss, s) = p.Establish();
        uint seq = 1001;
        byte[] chunk = new byte[1024];
        for (int i = 0; i < 8; i++) { p.Inject(p.Tcp(4000, 80, seq, iss + 1, A, 65535, chunk)); seq += 1024; }
        var last = p.Last();
        Assert.Equal(seq, last.Ack);
        Assert.Equal(0, last.Window);
        // The buffer is full: one more byte is refused (out of window) and answered with an ACK.
        p.Inject(p.Tcp(4000, 80, seq, iss + 1, A, 65535, new byte[1]));
        Assert.True(p.Stack.Counters[NetCounter.DropTcpOutOfWindow] >= 1);
        int before = p.Dev.Sent.Count;
        byte[] buf = new byte[8192];
        p.Stack.Lock(); int r = p.Stack.Tcp.Read(s, buf); p.Stack.Unlock();
        Assert.Equal(8192, r);
        // No clock movement: the update must not wait for the delayed-ACK timer.
        var upd = p.SentSegments(before);
        Assert.Single(upd);
        Assert.Equal(8192, upd[0].Window);
        Assert.Equal(1, p.Stack.Counters[NetCounter.TcpWindowUpdates]);
    }

    [Fact]
    public void Delayed_ack_waits_for_a_second_segment_or_the_timer()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        int before = p.Dev.Sent.Count;
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535, new byte[100]));
        Assert.Equal(before, p.Dev.Sent.Count);
        p.Advance(10_000);
        Assert.Equal(1101u, p.Last().Ack);
        before = p.Dev.Sent.Count;
        p.Inject(p.Tcp(4000, 80, 1101, iss + 1, A, 65535, new byte[100]));
        p.Inject(p.Tcp(4000, 80, 1201, iss + 1, A, 65535, new byte[100]));
        Assert.Equal(before + 1, p.Dev.Sent.Count);
        Assert.Equal(1301u, p.Last().Ack);
    }

    [Fact]
    public void A_new_connections_first_full_segments_are_acknowledged_one_by_one()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        byte[] buf = new byte[64 * 1024];
        uint seq = 1001;
        for (int i = 0; i < TcpConnection.QuickAckSegments; i++)
        {
            int before = p.Dev.Sent.Count;
            p.Inject(p.Tcp(4000, 80, seq, iss + 1, A, 65535, new byte[1460]));
            seq += 1460;
            Assert.Equal(before + 1, p.Dev.Sent.Count); // quick ACK: at once, no clock movement
            Assert.Equal(seq, p.Last().Ack);
            p.Stack.Lock(); p.Stack.Tcp.Read(s, buf); p.Stack.Unlock();
        }
        // Then delayed ACK as usual: one full segment waits for a second or the timer.
        int after = p.Dev.Sent.Count;
        p.Inject(p.Tcp(4000, 80, seq, iss + 1, A, 65535, new byte[1460]));
        Assert.Equal(after, p.Dev.Sent.Count);
        p.Inject(p.Tcp(4000, 80, seq + 1460, iss + 1, A, 65535, new byte[1460]));
        Assert.Equal(after + 1, p.Dev.Sent.Count);
        Assert.Equal(seq + 2920, p.Last().Ack);
    }

    [Fact]
    public void Out_of_order_segments_are_reassembled_with_duplicate_acks_for_the_hole()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        byte[] all = new byte[3000]; new Random(9).NextBytes(all);
        p.Inject(p.Tcp(4000, 80, 1001 + 2000, iss + 1, A, 65535, all.AsSpan(2000, 1000)));
        Assert.Equal(1001u, p.Last().Ack);
        p.Inject(p.Tcp(4000, 80, 1001 + 1000, iss + 1, A, 65535, all.AsSpan(1000, 1000)));
        Assert.Equal(1001u, p.Last().Ack);
        byte[] buf = new byte[4000];
        p.Stack.Lock(); int r = p.Stack.Tcp.Read(s, buf); p.Stack.Unlock();
        Assert.Equal(TcpError.WouldBlock, r);
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535, all.AsSpan(0, 1000)));
        Assert.Equal(4001u, p.Last().Ack); // the hole filled: acknowledged at once
        p.Stack.Lock(); r = p.Stack.Tcp.Read(s, buf); p.Stack.Unlock();
        Assert.Equal(3000, r);
        Assert.Equal(all, buf.AsSpan(0, 3000).ToArray());
        Assert.Equal(2, p.Stack.Counters[NetCounter.TcpOutOfOrder]);
    }

    [Fact]
    public void Reassembly_is_bounded_and_refusals_are_counted()
    {
        var p = new ScriptedPeer(rx: 64 * 1024);
        var (iss, s) = p.Establish();
        for (int i = 0; i < 12; i++) p.Inject(p.Tcp(4000, 80, 1001 + 100 + (uint)i * 200, iss + 1, A, 65535, new byte[100]));
        Assert.Equal(Assembler.MaxRanges, p.Stack.Tcp.Connection(s.Index).Ooo.RangeCount);
        Assert.Equal(12 - Assembler.MaxRanges, p.Stack.Counters[NetCounter.DropTcpReassemblyFull]);
        // The in-order byte range still completes what was kept.
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, A, 65535, new byte[100]));
        Assert.Equal(1001u + 200, p.Last().Ack);
    }

    [Fact]
    public void Syn_is_retransmitted_with_backoff_then_times_out()
    {
        var p = new ScriptedPeer();
        p.Stack.Lock(); var s = p.Stack.Tcp.Connect(ScriptedPeer.PeerIp, 9, out _); p.Stack.Unlock();
        var syn = p.Last();
        Assert.True(syn.Has(TcpFlags.Syn));
        Assert.Equal(1460, syn.Mss);
        Assert.True(syn.WindowScale >= 0);
        var times = new List<long>();
        for (int i = 0; i < 8 && p.AdvanceUntilSent(200_000_000); i++) times.Add(p.Clock.Now);
        Assert.True(times.Count >= 3);
        Assert.Equal(1_000_000, times[0]);
        Assert.Equal(2_000_000, times[1] - times[0]);
        Assert.Equal(4_000_000, times[2] - times[1]);
        p.Stack.Lock(); int r = p.Stack.Tcp.Read(s, new byte[1]); p.Stack.Unlock();
        Assert.Equal(TcpError.TimedOut, r);
    }

    [Fact]
    public void Backlog_full_and_pool_exhausted_refuse_with_rst_and_existing_connections_continue()
    {
        var p = new ScriptedPeer();
        int l = p.Stack.Listen(80, 2);
        p.Inject(p.Tcp(5001, 80, 100, 0, TcpFlags.Syn, 65535, default, 1460));
        p.Inject(p.Tcp(5002, 80, 100, 0, TcpFlags.Syn, 65535, default, 1460));
        p.Inject(p.Tcp(5003, 80, 100, 0, TcpFlags.Syn, 65535, default, 1460));
        Assert.True(p.Last().Has(TcpFlags.Rst));
        Assert.Equal(1, p.Stack.Counters[NetCounter.DropTcpBacklogFull]);
        Assert.Equal(2, p.Stack.Tcp.ActiveCount);
    }

    [Fact]
    public void Simultaneous_close_leaves_closing_when_the_peers_fin_is_retransmitted_with_our_ack()
    {
        // Seen with QEMU's user network: both FINs cross; the peer then resends its FIN
        // acknowledging ours. That segment ends at RCV.NXT and must not be ignored.
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        p.Stack.Close(s);
        Assert.True(p.Last().Has(TcpFlags.Fin));
        p.Inject(p.Tcp(4000, 80, 1001, iss + 1, (byte)(A | TcpFlags.Fin), 65535)); // their FIN, ours not yet acknowledged
        Assert.Equal(1, TcpPairTests.CountState(p.Stack, TcpState.Closing));
        p.Inject(p.Tcp(4000, 80, 1001, iss + 2, (byte)(A | TcpFlags.Fin), 65535)); // the same FIN again, now acknowledging ours
        Assert.Equal(1, TcpPairTests.CountState(p.Stack, TcpState.TimeWait));
        Assert.Equal(1002u, p.Last().Ack);
    }

    [Fact]
    public void Retransmitted_fin_in_time_wait_is_acknowledged()
    {
        var p = new ScriptedPeer();
        var (iss, s) = p.Establish();
        p.Stack.Close(s);
        var fin = p.Last();
        Assert.True(fin.Has(TcpFlags.Fin));
        p.Inject(p.Tcp(4000, 80, 1001, iss + 2, (byte)(A | TcpFlags.Fin), 65535));
        Assert.Equal(1, TcpPairTests.CountState(p.Stack, TcpState.TimeWait));
        Assert.Equal(1002u, p.Last().Ack);
        int before = p.Dev.Sent.Count;
        p.Inject(p.Tcp(4000, 80, 1001, iss + 2, (byte)(A | TcpFlags.Fin), 65535));
        Assert.Equal(before + 1, p.Dev.Sent.Count);
        p.Advance(200_000);
        Assert.Equal(0, p.Stack.Tcp.ActiveCount);
    }
}
