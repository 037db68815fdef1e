using Molt.Net;
using Molt.Net.Tcp;
using Molt.Net.Wire;

namespace Molt.Tests.Net;

/// <summary>A clock the test moves by hand.</summary>
public sealed class FakeClock : INetClock
{
    public long Now;
    public long NowMicroseconds => Now;
}

/// <summary>
/// One end of a simulated Ethernet cable. Frames a stack transmits go to
/// the peer's inbox, through optional impairments (fixed seed): drop,
/// duplicate, reorder (held back and released later), corrupt one byte.
/// With no peer, transmitted frames are kept in <see cref="Sent"/> for a scripted test.
/// </summary>
public sealed class FakeDevice : INetDevice
{
    public readonly byte[] Mac;
    public FakeDevice? Peer;
    public readonly Queue<byte[]> Inbox = new();
    public readonly List<byte[]> Sent = new();
    public Random? Rng;
    /// <summary>Also keep a copy of every frame sent to the peer (a capture).</summary>
    public bool Record;
    public double Drop, Duplicate, Reorder, Corrupt;
    private byte[]? _held;
    public int MtuValue = 1500;
    public int Dropped, Duplicated, Reordered, Corrupted;

    public FakeDevice(byte last) { Mac = new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, last }; }

    public void GetMacAddress(Span<byte> mac6) => Mac.CopyTo(mac6);
    public int Mtu => MtuValue;

    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        byte[] f = frame.ToArray();
        if (Peer == null || Record) { Sent.Add(f); if (Peer == null) return true; f = (byte[])f.Clone(); }
        if (Rng != null)
        {
            if (Rng.NextDouble() < Drop) { Dropped++; return true; }
            if (Rng.NextDouble() < Corrupt) { f[Rng.Next(f.Length)] ^= (byte)(1 << Rng.Next(8)); Corrupted++; }
            if (Rng.NextDouble() < Reorder && _held == null) { _held = f; Reordered++; return true; }
            Peer.Inbox.Enqueue(f);
            if (Rng.NextDouble() < Duplicate) { Peer.Inbox.Enqueue((byte[])f.Clone()); Duplicated++; }
            if (_held != null && Rng.NextDouble() < 0.5) { Peer.Inbox.Enqueue(_held); _held = null; }
            return true;
        }
        Peer.Inbox.Enqueue(f);
        return true;
    }

    /// <summary>Releases a frame held back for reordering (the link "drains").</summary>
    public void ReleaseHeld() { if (_held != null && Peer != null) { Peer.Inbox.Enqueue(_held); _held = null; } }

    public int Poll(IFrameSink sink, int budget)
    {
        int n = 0;
        while (n < budget && Inbox.Count > 0) { sink.OnFrame(Inbox.Dequeue()); n++; }
        return n;
    }

    public void WaitForFrames(long timeoutMicroseconds) { }
}

/// <summary>Two stacks on one simulated cable, driven in simulated time.</summary>
public sealed class StackPair
{
    public readonly FakeClock Clock = new();
    public readonly FakeDevice DevA = new(0xA), DevB = new(0xB);
    public readonly NetStack A, B;
    public static readonly uint IpA = Ip.Make(10, 0, 2, 15), IpB = Ip.Make(10, 0, 2, 16);

    public StackPair(int rx = 64 * 1024, int tx = 64 * 1024, int conns = 16)
    {
        DevA.Peer = DevB; DevB.Peer = DevA;
        A = new NetStack(DevA, Config(IpA, rx, tx, conns, 1), Clock);
        B = new NetStack(DevB, Config(IpB, rx, tx, conns, 2), Clock);
    }

    public static NetConfig Config(uint ip, int rx, int tx, int conns, uint seed)
    {
        NetConfig c = NetConfig.Default();
        c.UseDhcp = false; c.Address = ip; c.Netmask = 0xFFFFFF00; c.Gateway = Ip.Make(10, 0, 2, 2);
        c.RxBufferSize = rx; c.TxBufferSize = tx; c.MaxConnections = conns; c.Seed = seed;
        c.TimeWaitMicroseconds = 100_000;
        return c;
    }

    /// <summary>Polls both stacks until <paramref name="done"/> or the simulated time limit; idle time jumps to the next timer.</summary>
    public bool Run(Func<bool> done, long maxMicroseconds = 600_000_000)
    {
        long end = Clock.Now + maxMicroseconds;
        while (Clock.Now < end)
        {
            if (done()) return true;
            long na = A.PollOnce(), nb = B.PollOnce();
            if (DevA.Inbox.Count > 0 || DevB.Inbox.Count > 0) { Clock.Now += 50; continue; }
            if (done()) return true;
            DevA.ReleaseHeld(); DevB.ReleaseHeld();
            if (DevA.Inbox.Count > 0 || DevB.Inbox.Count > 0) { Clock.Now += 50; continue; }
            long next = na == 0 ? nb : nb == 0 ? na : Math.Min(na, nb);
            Clock.Now = next > Clock.Now ? Math.Min(next, Clock.Now + 1000) : Clock.Now + 1000;
        }
        return done();
    }
}
