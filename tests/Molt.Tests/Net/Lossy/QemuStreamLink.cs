using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Molt.Net;

namespace Molt.Tests.Net.Lossy;

/// <summary>
/// The host end of QEMU's <c>-netdev stream</c>: a device for Molt's stack
/// compiled for the host (<see cref="NetStack"/> with MOLT_HOST), whose
/// frames cross a connected stream socket to the guest's virtio-net, each
/// with a 4-byte big-endian length before it, through one
/// <see cref="FrameImpairment"/> per direction.
///
/// Threads: a reader thread takes frames off the socket, counts them,
/// impairs them and queues them; the stack's <see cref="Poll"/> (its poller
/// thread) hands them over; <see cref="Transmit"/> (any thread, with the
/// stack's lock held) counts, impairs and writes under a send lock.
///
/// Counters say what each side SENT, before the impairment: frames, and
/// frames carrying TCP payload with their payload bytes; a storm of
/// retransmissions shows as data frames far beyond payload / MSS.
/// </summary>
public sealed class QemuStreamLink : INetDevice, IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _mac;
    private readonly FrameImpairment _toGuest, _toHost;
    private readonly ConcurrentQueue<byte[]> _inbox = new();
    private readonly AutoResetEvent _arrived = new(false);
    private readonly object _sendGate = new();
    private readonly Thread _reader;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile bool _closed;

    public long FramesFromGuest, DataFramesFromGuest, PayloadFromGuest;
    public long FramesToGuest, DataFramesToGuest, PayloadToGuest;
    /// <summary>Why the reader stopped, if it stopped on its own (QEMU closed the socket, a bad length).</summary>
    public string? ReaderEnded;

    /// <summary>When set, one line per frame sent by either side (time, direction, TCP seq/ack/len/flags), for a failing run's diagnosis.</summary>
    public List<string>? Trace;

    private void Note(string dir, byte[] f)
    {
        var t = Trace;
        if (t == null) return;
        string line = $"{NowMicroseconds / 1000.0,10:F1} {dir} {Describe(f)}";
        lock (t) t.Add(line);
    }

    /// <summary>A one-line summary of a frame: TCP ports, flags, seq, ack, window, payload; or its EtherType.</summary>
    public static string Describe(ReadOnlySpan<byte> f)
    {
        if (f.Length < 14 + 20 || f[12] != 0x08 || f[13] != 0x00) return $"type {(f.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(f.Slice(12)) : 0):x4} len {f.Length}";
        int ihl = (f[14] & 0xF) * 4;
        if (f[14 + 9] != 6 || f.Length < 14 + ihl + 20) return $"ip proto {f[14 + 9]} len {f.Length}";
        var t = f.Slice(14 + ihl);
        byte fl = t[13];
        string flags = ((fl & 2) != 0 ? "S" : "") + ((fl & 1) != 0 ? "F" : "") + ((fl & 4) != 0 ? "R" : "") + ((fl & 8) != 0 ? "P" : "") + ((fl & 16) != 0 ? "." : "");
        return $"{BinaryPrimitives.ReadUInt16BigEndian(t)}>{BinaryPrimitives.ReadUInt16BigEndian(t.Slice(2))} [{flags}] seq {BinaryPrimitives.ReadUInt32BigEndian(t.Slice(4))} ack {BinaryPrimitives.ReadUInt32BigEndian(t.Slice(8))} win {BinaryPrimitives.ReadUInt16BigEndian(t.Slice(14))} len {TcpPayloadLength(f)}";
    }

    public QemuStreamLink(Socket connected, byte[] mac, FrameImpairment toGuest, FrameImpairment toHost)
    {
        _socket = connected; _mac = mac; _toGuest = toGuest; _toHost = toHost;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "qemu-stream-reader" };
        _reader.Start();
    }

    private long NowMicroseconds => _clock.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;

    public void GetMacAddress(Span<byte> mac6) => _mac.CopyTo(mac6);
    public int Mtu => 1500;

    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        if (_closed) return true; // the wire is cut: the frame is lost, as on a real link
        byte[] f = frame.ToArray();
        Interlocked.Increment(ref FramesToGuest);
        int payload = TcpPayloadLength(f);
        if (payload > 0) { Interlocked.Increment(ref DataFramesToGuest); Interlocked.Add(ref PayloadToGuest, payload); }
        Note("H>G", f);
        _toGuest.Pass(f, NowMicroseconds, Send);
        return true;
    }

    private void Send(byte[] f)
    {
        Note("  ->G", f);
        byte[] prefixed = new byte[4 + f.Length];
        BinaryPrimitives.WriteInt32BigEndian(prefixed, f.Length);
        f.CopyTo(prefixed, 4);
        lock (_sendGate)
        {
            try { if (!_closed) _socket.Send(prefixed); }
            catch (SocketException) { _closed = true; }
            catch (ObjectDisposedException) { _closed = true; }
        }
    }

    public int Poll(IFrameSink sink, int budget)
    {
        long now = NowMicroseconds;
        _toGuest.Flush(now, Send);
        _toHost.Flush(now, g => { Note("  ->H", g); _inbox.Enqueue(g); });
        int n = 0;
        while (n < budget && _inbox.TryDequeue(out var f)) { sink.OnFrame(f); n++; }
        return n;
    }

    public void WaitForFrames(long timeoutMicroseconds)
    {
        if (!_inbox.IsEmpty) return;
        _arrived.WaitOne(TimeSpan.FromTicks(Math.Max(0, timeoutMicroseconds) * 10));
    }

    private void ReadLoop()
    {
        byte[] len = new byte[4];
        try
        {
            while (!_closed)
            {
                if (!ReadExactly(len)) { ReaderEnded = "QEMU closed the stream"; return; }
                int n = BinaryPrimitives.ReadInt32BigEndian(len);
                if (n < 14 || n > 65_536) { ReaderEnded = $"bad frame length {n} in the stream"; return; }
                byte[] f = new byte[n];
                if (!ReadExactly(f)) { ReaderEnded = "QEMU closed the stream inside a frame"; return; }
                Interlocked.Increment(ref FramesFromGuest);
                int payload = TcpPayloadLength(f);
                if (payload > 0) { Interlocked.Increment(ref DataFramesFromGuest); Interlocked.Add(ref PayloadFromGuest, payload); }
                Note("G>H", f);
                _toHost.Pass(f, NowMicroseconds, g => { Note("  ->H", g); _inbox.Enqueue(g); _arrived.Set(); });
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { ReaderEnded = e.Message; }
    }

    private bool ReadExactly(byte[] buffer)
    {
        int have = 0;
        while (have < buffer.Length)
        {
            int r = _socket.Receive(buffer, have, buffer.Length - have, SocketFlags.None);
            if (r == 0) return false;
            have += r;
        }
        return true;
    }

    /// <summary>The TCP payload length of an Ethernet/IPv4/TCP frame, 0 for anything else (or a frame too short to say).</summary>
    public static int TcpPayloadLength(ReadOnlySpan<byte> f)
    {
        if (f.Length < 14 + 20 || f[12] != 0x08 || f[13] != 0x00) return 0;
        int ihl = (f[14] & 0xF) * 4;
        if (f[14 + 9] != 6 || f.Length < 14 + ihl + 20) return 0;
        int total = BinaryPrimitives.ReadUInt16BigEndian(f.Slice(16));
        int doff = (f[14 + ihl + 12] >> 4) * 4;
        return Math.Max(0, total - ihl - doff);
    }

    public void Dispose()
    {
        _closed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
        _reader.Join(TimeSpan.FromSeconds(5));
        _arrived.Dispose();
    }
}
