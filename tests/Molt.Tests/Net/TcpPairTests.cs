using Molt.Net;
using Molt.Net.Tcp;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>Two stack instances on a simulated cable: handshake, data, close, loss, many connections.</summary>
public class TcpPairTests
{
    private static (TcpSocket client, TcpSocket server) Open(StackPair p, ushort port = 80)
    {
        int l = p.B.Listen(port, 8);
        Assert.True(l >= 0);
        p.A.Lock(); TcpSocket c = p.A.Tcp.Connect(StackPair.IpB, port, out int err); p.A.Unlock();
        Assert.Equal(0, err);
        TcpSocket s = default;
        Assert.True(p.Run(() => { if (!s.IsValid) { p.B.Lock(); s = p.B.Tcp.Accept(l); p.B.Unlock(); } return s.IsValid && p.A.Tcp.StateOf(c) == TcpState.Established; }, 10_000_000));
        return (c, s);
    }

    /// <summary>Moves <paramref name="data"/> from one side to the other with non-blocking calls; returns what arrived.</summary>
    private static byte[] Transfer(StackPair p, NetStack from, TcpSocket fs, NetStack to, TcpSocket ts, byte[] data, long limit = 3_600_000_000)
    {
        var got = new MemoryStream();
        int sent = 0;
        byte[] buf = new byte[7000];
        bool ok = p.Run(() =>
        {
            if (sent < data.Length) { from.Lock(); int w = from.Tcp.Write(fs, data.AsSpan(sent)); from.Unlock(); if (w > 0) sent += w; }
            while (true) { to.Lock(); int r = to.Tcp.Read(ts, buf); to.Unlock(); if (r <= 0) break; got.Write(buf, 0, r); }
            return got.Length >= data.Length;
        }, limit);
        Assert.True(ok, $"transfer stalled: {got.Length} of {data.Length} bytes arrived by t={p.Clock.Now} us");
        return got.ToArray();
    }

    [Fact]
    public void Handshake_data_both_ways_and_close_with_time_wait()
    {
        var p = new StackPair();
        var (c, s) = Open(p);
        Assert.Equal(TcpState.Established, p.B.Tcp.StateOf(s));
        byte[] hello = "hello, molt"u8.ToArray();
        Assert.Equal(hello, Transfer(p, p.A, c, p.B, s, hello));
        byte[] reply = new byte[100_000]; new Random(1).NextBytes(reply);
        Assert.Equal(reply, Transfer(p, p.B, s, p.A, c, reply));

        // Client closes first: it goes through FIN-WAIT to TIME-WAIT; the server sees end of stream.
        p.A.Close(c);
        byte[] one = new byte[10];
        int r = -1;
        Assert.True(p.Run(() => { p.B.Lock(); r = p.B.Tcp.Read(s, one); p.B.Unlock(); return r == 0; }, 5_000_000));
        Assert.Equal(TcpState.CloseWait, p.B.Tcp.StateOf(s));
        p.B.Close(s);
        Assert.True(p.Run(() => CountState(p.A, TcpState.TimeWait) == 1 && p.B.Tcp.ActiveCount == 0, 5_000_000));
        // TIME-WAIT is bounded (100 ms in this config), then the block returns to the pool.
        Assert.True(p.Run(() => p.A.Tcp.ActiveCount == 0, 1_000_000));
        Assert.Equal(TcpError.BadHandle, p.A.Tcp.Read(c, one));
    }

    internal static int CountState(NetStack st, TcpState state)
    {
        int n = 0;
        for (int i = 0; i < st.Tcp.Capacity; i++) { var k = st.Tcp.Connection(i); if (k.InUse && k.State == state) n++; }
        return n;
    }

    [Fact]
    public void Connect_to_a_closed_port_is_refused_with_rst()
    {
        var p = new StackPair();
        p.A.Lock(); TcpSocket c = p.A.Tcp.Connect(StackPair.IpB, 81, out _); p.A.Unlock();
        int r = 0;
        Assert.True(p.Run(() => { p.A.Lock(); r = p.A.Tcp.Read(c, new byte[1]); p.A.Unlock(); return r != TcpError.WouldBlock; }, 5_000_000));
        Assert.Equal(TcpError.Refused, r);
        Assert.True(p.B.Counters[NetCounter.TcpResetsSent] >= 1);
    }

    [Fact]
    public void Peer_reset_is_reported_to_reader()
    {
        var p = new StackPair();
        var (c, s) = Open(p);
        p.B.Abort(s);
        int r = 0;
        Assert.True(p.Run(() => { p.A.Lock(); r = p.A.Tcp.Read(c, new byte[1]); p.A.Unlock(); return r != TcpError.WouldBlock; }, 5_000_000));
        Assert.Equal(TcpError.Reset, r);
        p.A.Close(c);
        Assert.Equal(0, p.A.Tcp.ActiveCount);
    }

    [Fact]
    public void Window_scaling_is_negotiated_for_large_buffers()
    {
        var p = new StackPair(rx: 256 * 1024, tx: 256 * 1024);
        var (c, s) = Open(p);
        var ca = p.A.Tcp.Connection(c.Index);
        Assert.True(ca.WindowScaleOk);
        Assert.Equal(3, ca.RcvShift);
        Assert.Equal(3, ca.SndShift);
        byte[] big = new byte[2_000_000]; new Random(2).NextBytes(big);
        Assert.Equal(big, Transfer(p, p.A, c, p.B, s, big));
        Assert.True(ca.SndWnd > 65535, $"window {ca.SndWnd}");
    }

    [Fact]
    public void Lossy_link_moves_several_mebibytes_intact_both_ways()
    {
        var p = new StackPair(rx: 64 * 1024, tx: 64 * 1024);
        var (c, s) = Open(p);
        foreach (var d in new[] { p.DevA, p.DevB })
        {
            d.Rng = new Random(d == p.DevA ? 11 : 12);
            d.Drop = 0.12; d.Duplicate = 0.10; d.Reorder = 0.12; d.Corrupt = 0.10;
        }
        byte[] up = new byte[3 << 20]; new Random(3).NextBytes(up);
        byte[] down = new byte[3 << 20]; new Random(4).NextBytes(down);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(up, Transfer(p, p.A, c, p.B, s, up));
        Assert.Equal(down, Transfer(p, p.B, s, p.A, c, down));
        Assert.True(p.DevA.Dropped > 100 && p.DevA.Corrupted > 100 && p.DevA.Reordered > 100 && p.DevA.Duplicated > 100);
        Assert.True(p.B.Counters[NetCounter.DropBadChecksum] + p.A.Counters[NetCounter.DropBadChecksum] > 100);
        Assert.True(p.A.Counters[NetCounter.TcpFastRetransmits] + p.A.Counters[NetCounter.TcpRetransmitTimeouts] > 0);
        Assert.True(sw.Elapsed.TotalSeconds < 60, $"took {sw.Elapsed}");
    }

    [Theory]
    [InlineData(0.15, 0, 0, 0)]
    [InlineData(0, 0.15, 0, 0)]
    [InlineData(0, 0, 0.15, 0)]
    [InlineData(0, 0, 0, 0.15)]
    public void Each_impairment_alone_keeps_data_intact(double drop, double dup, double reorder, double corrupt)
    {
        var p = new StackPair();
        var (c, s) = Open(p);
        foreach (var d in new[] { p.DevA, p.DevB })
        {
            d.Rng = new Random(d == p.DevA ? 21 : 22);
            d.Drop = drop; d.Duplicate = dup; d.Reorder = reorder; d.Corrupt = corrupt;
        }
        byte[] up = new byte[1 << 20]; new Random(5).NextBytes(up);
        Assert.Equal(up, Transfer(p, p.A, c, p.B, s, up));
    }

    [Fact]
    public void Five_thousand_short_connections_in_a_row()
    {
        var p = new StackPair(rx: 4096, tx: 4096, conns: 8);
        int l = p.B.Listen(80, 4);
        byte[] msg = "ping"u8.ToArray();
        byte[] buf = new byte[16];
        for (int i = 0; i < 5000; i++)
        {
            p.A.Lock(); TcpSocket c = p.A.Tcp.Connect(StackPair.IpB, 80, out int err); p.A.Unlock();
            Assert.True(err == 0, $"connect {i}: {err}");
            TcpSocket s = default;
            int got = 0, phase = 0;
            bool ok = p.Run(() =>
            {
                if (!s.IsValid) { p.B.Lock(); s = p.B.Tcp.Accept(l); p.B.Unlock(); if (!s.IsValid) return false; }
                if (phase == 0 && p.A.Tcp.StateOf(c) == TcpState.Established) { p.A.Lock(); p.A.Tcp.Write(c, msg); p.A.Tcp.Close(c); p.A.Unlock(); phase = 1; }
                if (phase == 1) { p.B.Lock(); int r = p.B.Tcp.Read(s, buf); p.B.Unlock(); if (r > 0) got += r; if (r == 0) { p.B.Close(s); phase = 2; } }
                return phase == 2;
            }, 10_000_000);
            Assert.True(ok && got == 4, $"connection {i}: phase {phase}, got {got}");
        }
        Assert.True(p.Run(() => p.B.Tcp.ActiveCount == 0, 5_000_000));
        Assert.Equal(0, p.B.Counters[NetCounter.DropTcpNoMemory]);
    }
}
