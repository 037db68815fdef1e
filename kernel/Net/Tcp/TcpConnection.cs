#nullable disable
namespace Molt.Net.Tcp
{
    /// <summary>
    /// One TCP control block (RFC 793 TCB), allocated with its two rings
    /// when the stack starts and recycled through the pool: a new
    /// connection takes a free block, and the block's <see cref="Generation"/>
    /// rises when it is released, so a stale <see cref="TcpSocket"/> handle
    /// is refused instead of reaching someone else's connection.
    /// Every field is read and written under the stack's lock.
    /// Times are microseconds of the stack's clock; a deadline of 0 is "off".
    /// </summary>
    public sealed class TcpConnection
    {
        public readonly int Index;
        public uint Generation = 1;
        public bool InUse;
        /// <summary>A socket handle exists for it (connect, or accept returned it) and Close was not called yet.</summary>
        public bool UserOwned;
        public TcpState State;
        /// <summary>Why the connection ended abnormally (a TcpError), or 0.</summary>
        public int Error;
        public bool NoDelay;

        public uint LocalIp, RemoteIp;
        public ushort LocalPort, RemotePort;
        /// <summary>The listener a passive open came through, until accept hands it over; -1 otherwise.</summary>
        public int Listener = -1;

        public readonly RingBuffer Rx, Tx;
        public Assembler Ooo;

        // Send sequence space (RFC 793 3.2). SndMax: highest sequence ever sent (SndNxt goes back on a time-out).
        public uint Iss, SndUna, SndNxt, SndMax, SndWl1, SndWl2;
        public long SndWnd;          // peer's window in bytes (scaled)
        public int SndShift, RcvShift;
        public bool WindowScaleOk;   // both SYNs carried the option
        public bool FinQueued;       // the user closed: a FIN follows the queued data
        public int Mss;              // segment size we send
        public long Cwnd, Ssthresh;
        public bool InRecovery;
        public uint Recover;
        public int DupAcks;          // saturating
        /// <summary>Full-sized segments still acknowledged at once (quick-ACK at a connection's start).</summary>
        public int QuickAcks;

        // Receive sequence space.
        public uint Irs, RcvNxt;
        public bool FinReceived;
        public long AdvertisedWindow; // bytes, as last sent

        // Timers and RFC 6298 state.
        public long RtoAt, DelayedAckAt, PersistAt, TimeWaitAt;
        public long Rto, Srtt, Rttvar;
        public bool HaveRtt, Timing;
        public uint TimedSeq;
        public long TimedAt;
        public int Retries, PersistBackoff, PendingAcks;
        public bool AckNow;

        public TcpConnection(int index, int rxSize, int txSize)
        {
            Index = index;
            Rx = new RingBuffer(rxSize);
            Tx = new RingBuffer(txSize);
        }

        /// <summary>Sequence space in flight: sent and not yet acknowledged.</summary>
        public long Flight => (long)(SndNxt - SndUna);

        /// <summary>Back to the state of a free block (buffers kept).</summary>
        public void Reset()
        {
            InUse = false; UserOwned = false; State = TcpState.Closed; Error = 0; NoDelay = false;
            LocalIp = RemoteIp = 0; LocalPort = RemotePort = 0; Listener = -1;
            Rx.Reset(); Tx.Reset(); Ooo.Clear();
            Iss = SndUna = SndNxt = SndMax = SndWl1 = SndWl2 = 0; SndWnd = 0; SndShift = RcvShift = 0; WindowScaleOk = false;
            FinQueued = false; Mss = 536; Cwnd = 0; Ssthresh = 0; InRecovery = false; Recover = 0; DupAcks = 0;
            Irs = RcvNxt = 0; FinReceived = false; AdvertisedWindow = 0;
            RtoAt = DelayedAckAt = PersistAt = TimeWaitAt = 0; Rto = Srtt = Rttvar = 0;
            HaveRtt = Timing = false; TimedSeq = 0; TimedAt = 0; Retries = PersistBackoff = PendingAcks = 0; AckNow = false;
            QuickAcks = QuickAckSegments;
        }

        /// <summary>How many full-sized segments a new connection acknowledges one by one.</summary>
        public const int QuickAckSegments = 16;
    }

    /// <summary>A listening port: a backlog bound and a queue of established connections waiting for accept.</summary>
    public sealed class TcpListener
    {
        public bool InUse;
        public uint Generation = 1;
        public ushort Port;
        public int Backlog;
        /// <summary>Passive opens still in SYN-RECEIVED.</summary>
        public int Pending;
        public readonly int[] Queue;
        public int QueueHead, QueueCount;

        public TcpListener(int maxBacklog) { Queue = new int[maxBacklog]; }
    }

    /// <summary>A handle on a connection: its pool index and the generation it was issued for.</summary>
    public struct TcpSocket
    {
        public int Index;
        public uint Generation;
        public bool IsValid => Generation != 0;
    }
}
