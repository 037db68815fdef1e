#nullable disable
using System;
using Molt.Net.Wire;

namespace Molt.Net.Tcp
{
    /// <summary>
    /// TCP for one stack instance: the pool of control blocks, the
    /// listeners, segment arrival (RFC 793 3.9 "SEGMENT ARRIVES", condensed),
    /// output (sliding window, Nagle, delayed ACK), and the timers
    /// (RFC 6298 retransmission, persist, TIME-WAIT).
    ///
    /// Invariants:
    /// 1. Everything runs under the owning stack's lock; nothing here blocks.
    /// 2. The retransmission timer starts when data is sent and none was
    ///    outstanding, restarts only when an ACK acknowledges new data, and
    ///    stops when everything is acknowledged (RFC 6298 5.1-5.3). Duplicate
    ///    ACKs and window updates never touch it.
    /// 3. RTO doubles on each expiry (capped) and stays doubled until a new
    ///    RTT sample: samples are taken only from segments never retransmitted (Karn).
    /// 4. Window updates are never held back: when the reader frees at least
    ///    min(buffer/2, MSS) beyond what was last advertised, an ACK goes out at once.
    /// 5. Pools are never grown: a SYN that finds no free block (after
    ///    recycling the oldest TIME-WAIT) or a full backlog is answered with RST.
    /// </summary>
    public sealed class TcpLayer
    {
        private readonly NetStack _net;
        private readonly NetCounters _counters;
        private readonly TcpConnection[] _conns;
        private readonly TcpListener[] _listeners;
        private readonly int _maxBacklog;
        private NetConfig _config;
        private uint _random;
        private int _nextPort;

        public const int EphemeralFirst = 49152;
        public const int EphemeralCount = 16384;

        public TcpLayer(NetStack net, in NetConfig config, NetCounters counters)
        {
            _net = net; _config = config; _counters = counters;
            _conns = new TcpConnection[config.MaxConnections];
            for (int i = 0; i < _conns.Length; i++) _conns[i] = new TcpConnection(i, config.RxBufferSize, config.TxBufferSize);
            _maxBacklog = config.MaxConnections;
            _listeners = new TcpListener[config.MaxListeners];
            for (int i = 0; i < _listeners.Length; i++) _listeners[i] = new TcpListener(_maxBacklog);
            _random = config.Seed | 1;
            _nextPort = (int)(config.Seed % EphemeralCount);
        }

        /// <summary>Frees the pools (kernel: explicit frees; the stack must be stopped).</summary>
        public void Free()
        {
            for (int i = 0; i < _conns.Length; i++)
            {
                NetPlatform.Free(_conns[i].Rx.Storage); NetPlatform.Free(_conns[i].Tx.Storage);
                NetPlatform.Free(_conns[i].Rx); NetPlatform.Free(_conns[i].Tx); NetPlatform.Free(_conns[i]);
            }
            for (int i = 0; i < _listeners.Length; i++) { NetPlatform.Free(_listeners[i].Queue); NetPlatform.Free(_listeners[i]); }
            NetPlatform.Free(_conns); NetPlatform.Free(_listeners);
        }

        public int Capacity => _conns.Length;
        public int ListenerCapacity => _listeners.Length;
        /// <summary>The control block in slot <paramref name="index"/> (under the stack's lock).</summary>
        public TcpConnection ConnectionAt(int index) => _conns[index];
        /// <summary>The listener in slot <paramref name="index"/> (under the stack's lock).</summary>
        public TcpListener ListenerAt(int index) => _listeners[index];
        public TcpConnection Connection(int index) => _conns[index];

        public int ActiveCount
        {
            get { int n = 0; for (int i = 0; i < _conns.Length; i++) if (_conns[i].InUse) n++; return n; }
        }

        private uint NextRandom()
        {
            uint x = _random; x ^= x << 13; x ^= x >> 17; x ^= x << 5; _random = x; return x;
        }

        private long Now => _net.Now;

        // ------------------------------------------------------------------ user calls

        /// <summary>Opens a listener; returns its index, or a TcpError.</summary>
        public int Listen(ushort port, int backlog)
        {
            if (port == 0 || backlog <= 0) return TcpError.Closed;
            if (backlog > _maxBacklog) backlog = _maxBacklog;
            for (int i = 0; i < _listeners.Length; i++) if (_listeners[i].InUse && _listeners[i].Port == port) return TcpError.NoResources;
            for (int i = 0; i < _listeners.Length; i++)
            {
                TcpListener l = _listeners[i];
                if (l.InUse) continue;
                l.InUse = true; l.Port = port; l.Backlog = backlog; l.Pending = 0; l.QueueHead = 0; l.QueueCount = 0;
                return i;
            }
            return TcpError.NoResources;
        }

        /// <summary>Closes a listener: connections not yet accepted are reset.</summary>
        public void Unlisten(int listener)
        {
            if ((uint)listener >= (uint)_listeners.Length || !_listeners[listener].InUse) return;
            TcpListener l = _listeners[listener];
            for (int i = 0; i < _conns.Length; i++)
            {
                TcpConnection c = _conns[i];
                if (c.InUse && c.Listener == listener) { c.Listener = -1; Abort(c, TcpError.Closed, true); }
            }
            l.InUse = false; l.Generation++;
        }

        /// <summary>The next established connection of a listener, or an invalid handle.</summary>
        public TcpSocket Accept(int listener)
        {
            if ((uint)listener >= (uint)_listeners.Length || !_listeners[listener].InUse) return default;
            TcpListener l = _listeners[listener];
            if (l.QueueCount == 0) return default;
            TcpConnection c = _conns[l.Queue[l.QueueHead]];
            l.QueueHead = (l.QueueHead + 1) % l.Queue.Length; l.QueueCount--;
            c.Listener = -1; c.UserOwned = true;
            _counters.Add(NetCounter.TcpConnectionsAccepted);
            return new TcpSocket { Index = c.Index, Generation = c.Generation };
        }

        /// <summary>Established connections waiting in a listener's accept queue (0 for an unknown listener).</summary>
        public int QueuedConnections(int listener) =>
            (uint)listener < (uint)_listeners.Length && _listeners[listener].InUse ? _listeners[listener].QueueCount : 0;

        public bool ListenerValid(int listener) => (uint)listener < (uint)_listeners.Length && _listeners[listener].InUse;

        /// <summary>Starts an active open; the handle is valid at once (reads report WouldBlock until established).</summary>
        public TcpSocket Connect(uint remoteIp, ushort remotePort, out int error)
        {
            error = 0;
            int port = AllocatePort();
            if (port == 0) { error = TcpError.NoResources; return default; }
            TcpConnection c = Allocate();
            if (c == null) { error = TcpError.NoResources; _counters.Add(NetCounter.DropTcpNoMemory); return default; }
            c.LocalIp = _net.Address; c.LocalPort = (ushort)port; c.RemoteIp = remoteIp; c.RemotePort = remotePort;
            InitSend(c);
            c.State = TcpState.SynSent; c.UserOwned = true;
            _counters.Add(NetCounter.TcpConnectionsOpened);
            Output(c);
            return new TcpSocket { Index = c.Index, Generation = c.Generation };
        }

        public TcpConnection Resolve(TcpSocket s)
        {
            if ((uint)s.Index >= (uint)_conns.Length) return null;
            TcpConnection c = _conns[s.Index];
            return c.InUse && c.UserOwned && c.Generation == s.Generation ? c : null;
        }

        /// <summary>Bytes read (>0), 0 at end of stream, or a TcpError (WouldBlock when nothing is there yet).</summary>
        public int Read(TcpSocket s, Span<byte> dst)
        {
            TcpConnection c = Resolve(s);
            if (c == null) return TcpError.BadHandle;
            if (c.Rx.Count > 0 && dst.Length > 0)
            {
                int n = c.Rx.Read(dst);
                MaybeWindowUpdate(c);
                return n;
            }
            if (c.Error != 0) return c.Error;
            if (c.FinReceived) return 0;
            if (c.State == TcpState.Closed) return TcpError.Closed;
            return TcpError.WouldBlock;
        }

        /// <summary>Bytes queued (may be fewer than given), or a TcpError (WouldBlock when the send buffer is full).</summary>
        public int Write(TcpSocket s, ReadOnlySpan<byte> src)
        {
            TcpConnection c = Resolve(s);
            if (c == null) return TcpError.BadHandle;
            if (c.Error != 0) return c.Error;
            if (c.FinQueued) return TcpError.Closed;
            if (c.State != TcpState.Established && c.State != TcpState.CloseWait && c.State != TcpState.SynSent && c.State != TcpState.SynReceived)
                return TcpError.Closed;
            int n = c.Tx.Write(src);
            if (n == 0 && src.Length > 0) return TcpError.WouldBlock;
            Output(c);
            return n;
        }

        /// <summary>Send-buffer bytes not yet acknowledged (a caller waiting for its data to leave).</summary>
        public int Unacknowledged(TcpSocket s) { TcpConnection c = Resolve(s); return c == null ? 0 : c.Tx.Count; }

        public TcpState StateOf(TcpSocket s) { TcpConnection c = Resolve(s); return c == null ? TcpState.Closed : c.State; }

        public void SetNoDelay(TcpSocket s, bool on) { TcpConnection c = Resolve(s); if (c != null) { c.NoDelay = on; Output(c); } }

        /// <summary>
        /// Gives the connection back: queued data is still sent, then a FIN;
        /// the block returns to the pool after the close completes (or TIME-WAIT ends).
        /// </summary>
        public void Close(TcpSocket s)
        {
            TcpConnection c = Resolve(s);
            if (c == null) return;
            c.UserOwned = false;
            switch (c.State)
            {
                case TcpState.SynSent:
                case TcpState.Closed:
                    c.State = TcpState.Closed; Release(c); return;
                case TcpState.SynReceived:
                case TcpState.Established:
                    c.FinQueued = true; c.State = TcpState.FinWait1; Output(c); return;
                case TcpState.CloseWait:
                    c.FinQueued = true; c.State = TcpState.LastAck; Output(c); return;
                default:
                    return; // already closing; the timers finish it
            }
        }

        /// <summary>Resets the connection (RST to the peer) and releases it.</summary>
        public void Abort(TcpSocket s)
        {
            TcpConnection c = Resolve(s);
            if (c == null) return;
            c.UserOwned = false;
            Abort(c, TcpError.Closed, true);
        }

        // ------------------------------------------------------------------ pool

        private TcpConnection Allocate()
        {
            TcpConnection oldestTimeWait = null;
            for (int i = 0; i < _conns.Length; i++)
            {
                TcpConnection c = _conns[i];
                if (!c.InUse) { c.Reset(); c.InUse = true; return c; }
                if (c.State == TcpState.TimeWait && (oldestTimeWait == null || c.TimeWaitAt < oldestTimeWait.TimeWaitAt)) oldestTimeWait = c;
            }
            if (oldestTimeWait == null) return null;
            _counters.Add(NetCounter.TcpTimeWaitRecycled);
            oldestTimeWait.State = TcpState.Closed;
            Release(oldestTimeWait);
            oldestTimeWait.Reset(); oldestTimeWait.InUse = true;
            return oldestTimeWait;
        }

        /// <summary>Returns a block to the pool once no handle and no protocol state need it.</summary>
        private void Release(TcpConnection c)
        {
            if (!c.InUse) return;
            if (c.Listener >= 0)
            {
                // A passive open that never reached accept: drop it from its listener's accounting.
                TcpListener l = _listeners[c.Listener];
                if (l.InUse)
                {
                    if (c.State == TcpState.Closed && IsQueued(l, c.Index)) RemoveFromQueue(l, c.Index);
                    else if (l.Pending > 0 && !IsQueued(l, c.Index)) l.Pending--;
                }
                c.Listener = -1;
            }
            if (c.UserOwned) return; // the user still holds a handle: its reads see the error; Close releases
            c.Generation++;
            if (c.Generation == 0) c.Generation = 1;
            c.Reset();
        }

        private static bool IsQueued(TcpListener l, int index)
        {
            for (int k = 0; k < l.QueueCount; k++) if (l.Queue[(l.QueueHead + k) % l.Queue.Length] == index) return true;
            return false;
        }

        private static void RemoveFromQueue(TcpListener l, int index)
        {
            int n = l.QueueCount, w = 0;
            for (int k = 0; k < n; k++)
            {
                int v = l.Queue[(l.QueueHead + k) % l.Queue.Length];
                if (v == index) continue;
                l.Queue[(l.QueueHead + w) % l.Queue.Length] = v; w++;
            }
            l.QueueCount = w;
        }

        private int AllocatePort()
        {
            for (int tries = 0; tries < EphemeralCount; tries++)
            {
                int port = EphemeralFirst + _nextPort;
                _nextPort = (_nextPort + 1) % EphemeralCount;
                bool used = false;
                for (int i = 0; i < _conns.Length && !used; i++) used = _conns[i].InUse && _conns[i].LocalPort == port;
                if (!used) return port;
            }
            return 0;
        }

        private int OurRcvShift()
        {
            int s = 0;
            while (s < 14 && (_config.RxBufferSize >> s) > 65535) s++;
            return s;
        }

        private void InitSend(TcpConnection c)
        {
            c.Iss = (uint)(Now / 4) + NextRandom();
            c.SndUna = c.SndNxt = c.SndMax = c.Iss;
            c.Rto = _config.InitialRtoMicroseconds;
            c.Mss = _net.Mtu - 40;
            c.RcvShift = OurRcvShift();
            c.Cwnd = 10 * c.Mss; c.Ssthresh = 1 << 30;
        }

        // ------------------------------------------------------------------ input

        /// <summary>A validated segment addressed to us.</summary>
        public void OnSegment(ref TcpSegment seg)
        {
            _counters.Add(NetCounter.TcpSegmentsIn);
            TcpConnection c = Find(seg.Destination, seg.DestinationPort, seg.Source, seg.SourcePort);
            if (c != null && c.State == TcpState.TimeWait && seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Ack) && Seq.Gt(seg.Seq, c.RcvNxt))
            {
                // RFC 1122 4.2.2.13: a new SYN above the old sequence space may reopen a TIME-WAIT pair.
                _counters.Add(NetCounter.TcpTimeWaitRecycled);
                c.State = TcpState.Closed; Release(c); c = null;
            }
            if (c == null) { NoConnection(ref seg); return; }
            if (c.State == TcpState.SynSent) { SynSentInput(c, ref seg); return; }
            Input(c, ref seg);
        }

        private TcpConnection Find(uint localIp, ushort localPort, uint remoteIp, ushort remotePort)
        {
            for (int i = 0; i < _conns.Length; i++)
            {
                TcpConnection c = _conns[i];
                if (c.InUse && c.LocalPort == localPort && c.RemotePort == remotePort && c.RemoteIp == remoteIp && c.State != TcpState.Closed)
                    return c;
            }
            return null;
        }

        private void NoConnection(ref TcpSegment seg)
        {
            if (seg.Has(TcpFlags.Rst)) { _counters.Add(NetCounter.DropTcpNoConnection); return; }
            int li = -1;
            for (int i = 0; i < _listeners.Length; i++) if (_listeners[i].InUse && _listeners[i].Port == seg.DestinationPort) { li = i; break; }
            if (li < 0 || seg.Has(TcpFlags.Ack) || !seg.Has(TcpFlags.Syn))
            {
                _counters.Add(NetCounter.DropTcpNoConnection);
                SendResetFor(ref seg);
                return;
            }
            TcpListener l = _listeners[li];
            if (l.Pending + l.QueueCount >= l.Backlog) { _counters.Add(NetCounter.DropTcpBacklogFull); SendResetFor(ref seg); return; }
            TcpConnection c = Allocate();
            if (c == null) { _counters.Add(NetCounter.DropTcpNoMemory); SendResetFor(ref seg); return; }
            c.LocalIp = seg.Destination; c.LocalPort = seg.DestinationPort; c.RemoteIp = seg.Source; c.RemotePort = seg.SourcePort;
            InitSend(c);
            c.Listener = li; l.Pending++;
            c.State = TcpState.SynReceived;
            c.Irs = seg.Seq; c.RcvNxt = seg.Seq + 1;
            AcceptSynOptions(c, ref seg, true);
            Output(c);
        }

        private void AcceptSynOptions(TcpConnection c, ref TcpSegment seg, bool passive)
        {
            if (seg.Mss > 0) { int m = seg.Mss < 64 ? 64 : seg.Mss; if (m < c.Mss) c.Mss = m; }
            else if (c.Mss > 536) c.Mss = 536;
            c.WindowScaleOk = seg.WindowScale >= 0;
            if (c.WindowScaleOk) c.SndShift = seg.WindowScale;
            else { c.SndShift = 0; c.RcvShift = 0; }
            c.SndWnd = seg.Window; // never scaled in a SYN
            c.SndWl1 = seg.Seq; c.SndWl2 = seg.Ack;
            c.Cwnd = 10 * c.Mss;
        }

        private void SynSentInput(TcpConnection c, ref TcpSegment seg)
        {
            bool hasAck = seg.Has(TcpFlags.Ack);
            if (hasAck && (Seq.Le(seg.Ack, c.Iss) || Seq.Gt(seg.Ack, c.SndMax)))
            {
                _counters.Add(NetCounter.DropTcpBadAck);
                if (!seg.Has(TcpFlags.Rst)) SendReset(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, seg.Ack, 0, false);
                return;
            }
            if (seg.Has(TcpFlags.Rst))
            {
                if (hasAck) { _counters.Add(NetCounter.TcpResetsReceived); c.Error = TcpError.Refused; c.State = TcpState.Closed; Release(c); }
                else _counters.Add(NetCounter.DropTcpState);
                return;
            }
            if (!seg.Has(TcpFlags.Syn)) { _counters.Add(NetCounter.DropTcpState); return; }
            c.Irs = seg.Seq; c.RcvNxt = seg.Seq + 1;
            AcceptSynOptions(c, ref seg, false);
            if (hasAck)
            {
                c.SndUna = seg.Ack;
                if (c.Timing) { Sample(c, Now - c.TimedAt); c.Timing = false; }
                c.RtoAt = 0; c.Retries = 0;
                c.State = TcpState.Established;
                c.AckNow = true;
            }
            else
            {
                // Simultaneous open: answer with SYN-ACK.
                c.State = TcpState.SynReceived;
                c.SndNxt = c.Iss;
            }
            Output(c);
        }

        private void Input(TcpConnection c, ref TcpSegment seg)
        {
            long now = Now;
            // A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost; send it again.
            if (c.State == TcpState.SynReceived && seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Ack) && seg.Seq == c.Irs)
            {
                c.SndNxt = c.Iss; Output(c); return;
            }

            // 1. Acceptability (RFC 793 p. 69) against the space we really have.
            long wnd = c.Rx.Free;
            int segLen = seg.SeqLength;
            bool ok;
            if (segLen == 0) ok = wnd == 0 ? seg.Seq == c.RcvNxt : InWindow(seg.Seq, c.RcvNxt, wnd);
            else ok = wnd != 0 && (InWindow(seg.Seq, c.RcvNxt, wnd) || InWindow(seg.Seq + (uint)segLen - 1, c.RcvNxt, wnd));
            // A retransmission ending exactly at RCV.NXT (typically the peer's FIN again, now
            // acknowledging ours after a simultaneous close) is taken for its ACK field, as Linux
            // does; dropping it would leave us in CLOSING until our own FIN times out.
            if (!ok && segLen > 0 && seg.Seq + (uint)segLen == c.RcvNxt && !seg.Has(TcpFlags.Syn)) ok = true;
            if (!ok)
            {
                _counters.Add(NetCounter.DropTcpOutOfWindow);
                if (!seg.Has(TcpFlags.Rst))
                {
                    c.AckNow = true;
                    if (c.State == TcpState.TimeWait && seg.Has(TcpFlags.Fin)) c.TimeWaitAt = now + _config.TimeWaitMicroseconds;
                    Output(c);
                }
                return;
            }

            // 2. RST: accepted only at exactly RCV.NXT (RFC 5961 3.2); in window otherwise: challenge ACK.
            if (seg.Has(TcpFlags.Rst))
            {
                if (seg.Seq != c.RcvNxt) { c.AckNow = true; Output(c); _counters.Add(NetCounter.DropTcpOutOfWindow); return; }
                _counters.Add(NetCounter.TcpResetsReceived);
                c.Error = c.State == TcpState.SynReceived ? TcpError.Refused : TcpError.Reset;
                c.State = TcpState.Closed;
                Release(c);
                return;
            }

            // 3. A SYN in the window is an error: reset (RFC 793; RFC 5961 would challenge).
            if (seg.Has(TcpFlags.Syn))
            {
                _counters.Add(NetCounter.DropTcpState);
                Abort(c, TcpError.Reset, true);
                return;
            }

            // 4. ACK.
            if (!seg.Has(TcpFlags.Ack)) { _counters.Add(NetCounter.DropTcpNoAck); return; }
            if (c.State == TcpState.SynReceived)
            {
                if (Seq.Le(seg.Ack, c.SndUna) || Seq.Gt(seg.Ack, c.SndMax))
                {
                    _counters.Add(NetCounter.DropTcpBadAck);
                    SendReset(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, seg.Ack, 0, false);
                    return;
                }
                c.SndUna = c.Iss + 1;
                if (c.Timing) { Sample(c, now - c.TimedAt); c.Timing = false; }
                c.RtoAt = 0; c.Retries = 0;
                c.SndWnd = (long)seg.Window << c.SndShift; c.SndWl1 = seg.Seq; c.SndWl2 = seg.Ack;
                c.State = TcpState.Established;
                if (c.Listener >= 0)
                {
                    TcpListener l = _listeners[c.Listener];
                    l.Pending--;
                    l.Queue[(l.QueueHead + l.QueueCount) % l.Queue.Length] = c.Index; l.QueueCount++;
                }
            }
            if (!ProcessAck(c, ref seg, now)) return;

            // 5. Data.
            if (seg.Payload.Length > 0)
            {
                if (c.State == TcpState.Established || c.State == TcpState.FinWait1 || c.State == TcpState.FinWait2) ReceiveData(c, ref seg, now);
                else _counters.Add(NetCounter.DropTcpState);
            }

            // 6. FIN, only when everything before it has arrived.
            if (seg.Has(TcpFlags.Fin) && seg.Seq + (uint)seg.Payload.Length == c.RcvNxt && !c.FinReceived)
            {
                c.RcvNxt++; c.FinReceived = true; c.AckNow = true;
                switch (c.State)
                {
                    case TcpState.SynReceived:
                    case TcpState.Established: c.State = TcpState.CloseWait; break;
                    case TcpState.FinWait1: c.State = TcpState.Closing; break; // our FIN is not acknowledged yet (else FIN-WAIT-2)
                    case TcpState.FinWait2: EnterTimeWait(c, now); break;
                }
            }
            else if (seg.Has(TcpFlags.Fin) && c.State == TcpState.TimeWait)
            {
                c.AckNow = true; c.TimeWaitAt = now + _config.TimeWaitMicroseconds;
            }
            Output(c);
        }

        private static bool InWindow(uint seq, uint start, long wnd) => Seq.Ge(seq, start) && (long)(seq - start) < wnd;

        /// <summary>ACK processing of an acceptable segment; false if the segment must be dropped.</summary>
        private bool ProcessAck(TcpConnection c, ref TcpSegment seg, long now)
        {
            if (Seq.Gt(seg.Ack, c.SndMax))
            {
                _counters.Add(NetCounter.DropTcpBadAck);
                c.AckNow = true; Output(c);
                return false;
            }
            if (Seq.Lt(c.SndWl1, seg.Seq) || (c.SndWl1 == seg.Seq && Seq.Le(c.SndWl2, seg.Ack)))
            {
                c.SndWnd = (long)seg.Window << c.SndShift; c.SndWl1 = seg.Seq; c.SndWl2 = seg.Ack;
                if (c.SndWnd > 0) { c.PersistAt = 0; c.PersistBackoff = 0; }
            }
            if (Seq.Gt(seg.Ack, c.SndUna))
            {
                int acked = (int)(seg.Ack - c.SndUna);
                int dataAcked = acked <= c.Tx.Count ? acked : c.Tx.Count;
                bool finAcked = acked > c.Tx.Count; // only possible with the FIN sent
                c.Tx.Discard(dataAcked);
                c.SndUna = seg.Ack;
                if (Seq.Lt(c.SndNxt, c.SndUna)) c.SndNxt = c.SndUna;
                if (c.Timing && Seq.Ge(seg.Ack, c.TimedSeq)) { Sample(c, now - c.TimedAt); c.Timing = false; }
                c.Retries = 0;
                // Congestion control (RFC 5681, NewReno exit on full ACK).
                if (c.InRecovery)
                {
                    if (Seq.Ge(seg.Ack, c.Recover)) { c.InRecovery = false; c.Cwnd = c.Ssthresh; }
                    else { RetransmitFirst(c); c.Cwnd -= dataAcked; if (c.Cwnd < c.Mss) c.Cwnd = c.Mss; c.Cwnd += c.Mss; }
                }
                else if (c.Cwnd < c.Ssthresh) c.Cwnd += dataAcked < c.Mss ? dataAcked : c.Mss;
                else c.Cwnd += (long)c.Mss * c.Mss / (c.Cwnd > 0 ? c.Cwnd : 1) + 1;
                if (c.Cwnd > (1L << 30)) c.Cwnd = 1L << 30;
                c.DupAcks = 0;
                // RFC 6298 5.2/5.3: stop when all is acknowledged, else restart (only here: new data acknowledged).
                c.RtoAt = c.SndUna == c.SndMax ? 0 : now + c.Rto;
                if (finAcked) { OnFinAcked(c, now); if (!c.InUse || c.State == TcpState.Closed) return false; }
            }
            else if (seg.Ack == c.SndUna && seg.Payload.Length == 0 && !seg.Has(TcpFlags.Fin) && c.SndMax != c.SndUna)
            {
                // A duplicate ACK: count it, saturating, and retransmit fast on the third.
                // Unlike RFC 5681's definition, a changed window does not disqualify it: a
                // receiver (Molt's own among them) advertises its ring's free space, which
                // moves as its reader drains, so the ACKs an out-of-order segment provokes
                // rarely carry the same window twice, and a lossy link then fell back to the
                // retransmission timer for nearly every loss (seen on the lossy-link system
                // test). The cost of miscounting a pure window update is at worst one
                // spurious fast retransmit (one segment, cwnd halved).
                // The first two also let one new segment each go out beyond cwnd
                // (Limited Transmit, RFC 3042: see Output), so that a small window still
                // produces the three duplicates fast retransmit needs.
                _counters.Add(NetCounter.TcpDuplicateAcks);
                if (c.DupAcks < 1_000_000) c.DupAcks++;
                if (c.DupAcks == 3 && !c.InRecovery)
                {
                    _counters.Add(NetCounter.TcpFastRetransmits);
                    long half = c.Flight / 2;
                    c.Ssthresh = half > 2 * c.Mss ? half : 2 * c.Mss;
                    c.InRecovery = true; c.Recover = c.SndMax;
                    RetransmitFirst(c);
                    c.Cwnd = c.Ssthresh + 3 * c.Mss;
                }
                else if (c.DupAcks > 3 && c.InRecovery) c.Cwnd += c.Mss;
            }
            return true;
        }

        private void OnFinAcked(TcpConnection c, long now)
        {
            switch (c.State)
            {
                case TcpState.FinWait1:
                    c.State = TcpState.FinWait2;
                    // Bounded: an orphan waiting for the peer's FIN does not live forever.
                    c.TimeWaitAt = now + 30 * _config.TimeWaitMicroseconds + 1_000_000;
                    break;
                case TcpState.Closing: EnterTimeWait(c, now); break;
                case TcpState.LastAck: c.State = TcpState.Closed; Release(c); break;
            }
        }

        private void EnterTimeWait(TcpConnection c, long now)
        {
            c.State = TcpState.TimeWait;
            c.TimeWaitAt = now + _config.TimeWaitMicroseconds;
            c.RtoAt = 0; c.PersistAt = 0; c.DelayedAckAt = 0;
        }

        private void ReceiveData(TcpConnection c, ref TcpSegment seg, long now)
        {
            ReadOnlySpan<byte> data = seg.Payload;
            uint seq = seg.Seq;
            if (Seq.Lt(seq, c.RcvNxt))
            {
                int skip = (int)(c.RcvNxt - seq);
                if (skip >= data.Length) { c.AckNow = true; return; }
                data = data.Slice(skip); seq = c.RcvNxt;
            }
            int offset = (int)(seq - c.RcvNxt);
            int room = c.Rx.Free - offset;
            if (room <= 0) { c.AckNow = true; _counters.Add(NetCounter.DropTcpOutOfWindow); return; }
            if (data.Length > room) data = data.Slice(0, room);
            bool hadHoles = !c.Ooo.IsEmpty;
            if (!c.Ooo.Add(offset, data.Length)) { _counters.Add(NetCounter.DropTcpReassemblyFull); c.AckNow = true; return; }
            c.Rx.WriteAt(0 + offset, data);
            int ready = c.Ooo.PopFront();
            c.Rx.Commit(ready);
            c.RcvNxt += (uint)ready;
            if (offset > 0) { _counters.Add(NetCounter.TcpOutOfOrder); c.AckNow = true; }
            else if (hadHoles) c.AckNow = true;
            else if (c.QuickAcks > 0 && data.Length >= c.Mss)
            {
                // Quick ACK: a connection's first full-sized segments are acknowledged one
                // by one, so the sender's slow start is not paced by our delayed ACKs (a
                // 26 KB bundle otherwise waits out the ACK delay once per round trip).
                c.QuickAcks--;
                c.AckNow = true;
            }
            else
            {
                // Delayed ACK: every second full segment at once, else within the delay.
                c.PendingAcks++;
                if (c.PendingAcks >= 2) c.AckNow = true;
                else if (c.DelayedAckAt == 0) c.DelayedAckAt = now + _config.DelayedAckMicroseconds;
            }
        }

        private void Sample(TcpConnection c, long r)
        {
            if (r < 0) r = 0;
            if (!c.HaveRtt) { c.Srtt = r; c.Rttvar = r / 2; c.HaveRtt = true; }
            else
            {
                long d = c.Srtt - r; if (d < 0) d = -d;
                c.Rttvar = (3 * c.Rttvar + d) / 4;
                c.Srtt = (7 * c.Srtt + r) / 8;
            }
            long k = 4 * c.Rttvar; if (k < 1000) k = 1000; // G: 1 ms clock granularity
            long rto = c.Srtt + k;
            if (rto < _config.MinRtoMicroseconds) rto = _config.MinRtoMicroseconds;
            if (rto > _config.MaxRtoMicroseconds) rto = _config.MaxRtoMicroseconds;
            c.Rto = rto;
        }

        // ------------------------------------------------------------------ window updates

        /// <summary>Invariant 4: after the reader frees space, advertise it at once if it grew enough.</summary>
        private void MaybeWindowUpdate(TcpConnection c)
        {
            if (c.State != TcpState.Established && c.State != TcpState.FinWait1 && c.State != TcpState.FinWait2) return;
            long now = WindowToAdvertise(c, out _);
            long threshold = c.Rx.Capacity / 2 < c.Mss ? c.Rx.Capacity / 2 : c.Mss;
            if (now - c.AdvertisedWindow >= threshold)
            {
                _counters.Add(NetCounter.TcpWindowUpdates);
                c.AckNow = true;
                Output(c);
            }
        }

        private static long WindowToAdvertise(TcpConnection c, out ushort field)
        {
            long w = c.Rx.Free;
            long f = w >> c.RcvShift;
            if (f > 65535) f = 65535;
            field = (ushort)f;
            return f << c.RcvShift;
        }

        // ------------------------------------------------------------------ output

        /// <summary>Sends what the windows, Nagle and the state allow, plus a pending ACK.</summary>
        public void Output(TcpConnection c)
        {
            long now = Now;
            switch (c.State)
            {
                case TcpState.Closed:
                case TcpState.Listen:
                    c.AckNow = false; return;
                case TcpState.TimeWait:
                    if (c.AckNow) SendAck(c);
                    return;
                case TcpState.SynSent:
                case TcpState.SynReceived:
                    if (c.SndNxt == c.Iss)
                    {
                        bool synAck = c.State == TcpState.SynReceived;
                        SendSegment(c, c.Iss, synAck ? (byte)(TcpFlags.Syn | TcpFlags.Ack) : TcpFlags.Syn, 0, 0, true);
                        c.SndNxt = c.Iss + 1;
                        if (Seq.Gt(c.SndNxt, c.SndMax)) { c.SndMax = c.SndNxt; if (!c.Timing && c.Retries == 0) { c.Timing = true; c.TimedSeq = c.SndNxt; c.TimedAt = now; } }
                        if (c.RtoAt == 0) c.RtoAt = now + c.Rto;
                    }
                    c.AckNow = false;
                    return;
            }
            bool canSendData = c.State == TcpState.Established || c.State == TcpState.CloseWait
                || c.State == TcpState.FinWait1 || c.State == TcpState.Closing || c.State == TcpState.LastAck;
            int dataLeft = 0;
            bool finPending = false;
            while (canSendData)
            {
                int offset = (int)(c.SndNxt - c.SndUna);
                dataLeft = c.Tx.Count - offset;
                finPending = c.FinQueued && dataLeft >= 0;
                if (dataLeft < 0) dataLeft = 0;
                long cwnd = c.Cwnd;
                if (!c.InRecovery && c.DupAcks > 0 && c.DupAcks < 3) cwnd += (long)c.DupAcks * c.Mss; // RFC 3042
                long wnd = c.SndWnd < cwnd ? c.SndWnd : cwnd;
                long usable = wnd - offset;
                if (usable < 0) usable = 0;
                int len = dataLeft;
                if (len > usable) len = (int)usable;
                if (len > c.Mss) len = c.Mss;
                bool fin = finPending && len == dataLeft;
                if (len == 0 && !fin) break;
                if (len < c.Mss && !fin)
                {
                    bool inFlight = c.SndNxt != c.SndUna;
                    if (inFlight && !c.NoDelay) break;        // Nagle (RFC 896)
                    if (len < dataLeft && inFlight) break;    // sender silly-window avoidance
                }
                byte flags = TcpFlags.Ack;
                if (len > 0 && offset + len == c.Tx.Count) flags |= TcpFlags.Psh;
                if (fin) flags |= TcpFlags.Fin;
                uint seq = c.SndNxt;
                SendSegment(c, seq, flags, offset, len, false);
                c.SndNxt = seq + (uint)len + (fin ? 1u : 0u);
                if (Seq.Gt(c.SndNxt, c.SndMax))
                {
                    if (!c.Timing && len > 0 && Seq.Ge(seq, c.SndMax)) { c.Timing = true; c.TimedSeq = seq + (uint)len; c.TimedAt = now; }
                    c.SndMax = c.SndNxt;
                }
                if (c.RtoAt == 0) c.RtoAt = now + c.Rto; // RFC 6298 5.1
                if (fin) break;
            }
            if (c.AckNow) SendAck(c);
            // Zero window with data waiting and nothing in flight: probe (RFC 1122 4.2.2.17).
            if (canSendData && c.SndWnd == 0 && (dataLeft > 0 || finPending) && c.SndNxt == c.SndUna && c.SndMax == c.SndUna)
            {
                if (c.PersistAt == 0) c.PersistAt = now + PersistInterval(c);
            }
        }

        private long PersistInterval(TcpConnection c)
        {
            long t = c.Rto << (c.PersistBackoff < 16 ? c.PersistBackoff : 16);
            return t > _config.MaxRtoMicroseconds ? _config.MaxRtoMicroseconds : t;
        }

        private void RetransmitFirst(TcpConnection c)
        {
            int len = c.Tx.Count < c.Mss ? c.Tx.Count : c.Mss;
            bool fin = c.FinQueued && len == c.Tx.Count && (long)(c.SndMax - c.SndUna) > c.Tx.Count;
            if (len == 0 && !fin) return;
            // Karn: a retransmitted segment is never timed. A later segment being timed
            // keeps its clock: its ACK may wait for this hole to fill, so its sample can
            // only be too long (a safe error), and on a lossy link dropping it left the
            // RTO backed off for want of any sample (seen on the lossy-link system test).
            if (Seq.Le(c.TimedSeq, c.SndUna + (uint)len)) c.Timing = false;
            byte flags = TcpFlags.Ack;
            if (fin) flags |= TcpFlags.Fin;
            SendSegment(c, c.SndUna, flags, 0, len, false);
        }

        private void SendAck(TcpConnection c) => SendSegment(c, c.SndNxt, TcpFlags.Ack, 0, 0, false);

        /// <summary>Builds one segment in the stack's TX frame and sends it; records what the ACK advertised.</summary>
        private void SendSegment(TcpConnection c, uint seq, byte flags, int dataOffset, int len, bool syn)
        {
            Span<byte> p = _net.IpPayloadBuffer;
            bool synAck = syn && (flags & TcpFlags.Ack) != 0;
            int hl = TcpHeader.Length(syn);
            if (len > 0) c.Tx.Peek(dataOffset, p.Slice(hl, len));
            long adv = WindowToAdvertise(c, out ushort field);
            if (syn)
            {
                // The window field of a SYN is never scaled (RFC 7323 2.2).
                long w = c.Rx.Free; field = (ushort)(w > 65535 ? 65535 : w); adv = field;
            }
            // A SYN offers our shift; a SYN-ACK carries it only if the peer's SYN offered one (RFC 7323 2.2).
            int ws = !syn ? -1 : !synAck ? c.RcvShift : c.WindowScaleOk ? c.RcvShift : -1;
            uint ack = (flags & TcpFlags.Ack) != 0 ? c.RcvNxt : 0;
            int total = TcpHeader.Write(p, c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, seq, ack, flags, field,
                                        syn ? _net.Mtu - 40 : 0, ws, len);
            _counters.Add(NetCounter.TcpSegmentsOut);
            _net.SendIpv4(c.RemoteIp, Ipv4.ProtoTcp, total);
            if ((flags & TcpFlags.Ack) != 0)
            {
                c.AdvertisedWindow = adv;
                c.AckNow = false; c.PendingAcks = 0; c.DelayedAckAt = 0;
            }
        }

        private void SendResetFor(ref TcpSegment seg)
        {
            if (seg.Has(TcpFlags.Ack)) SendReset(seg.Destination, seg.Source, seg.DestinationPort, seg.SourcePort, seg.Ack, 0, false);
            else SendReset(seg.Destination, seg.Source, seg.DestinationPort, seg.SourcePort, 0, seg.Seq + (uint)seg.SeqLength, true);
        }

        private void SendReset(uint src, uint dst, ushort srcPort, ushort dstPort, uint seq, uint ack, bool withAck)
        {
            _counters.Add(NetCounter.TcpResetsSent);
            Span<byte> p = _net.IpPayloadBuffer;
            byte flags = withAck ? (byte)(TcpFlags.Rst | TcpFlags.Ack) : TcpFlags.Rst;
            int total = TcpHeader.Write(p, src, dst, srcPort, dstPort, seq, ack, flags, 0, 0, -1, 0);
            _net.SendIpv4(dst, Ipv4.ProtoTcp, total);
        }

        private void Abort(TcpConnection c, int error, bool sendRst)
        {
            if (sendRst && c.State != TcpState.SynSent && c.State != TcpState.Closed && c.State != TcpState.TimeWait)
                SendReset(c.LocalIp, c.RemoteIp, c.LocalPort, c.RemotePort, c.SndNxt, c.RcvNxt, true);
            c.Error = error;
            c.State = TcpState.Closed;
            Release(c);
        }

        // ------------------------------------------------------------------ timers

        /// <summary>Runs every expired timer; returns the next deadline (0 if none).</summary>
        public long OnTimers(long now)
        {
            long next = 0;
            for (int i = 0; i < _conns.Length; i++)
            {
                TcpConnection c = _conns[i];
                if (!c.InUse) continue;
                if (c.TimeWaitAt != 0 && now >= c.TimeWaitAt && (c.State == TcpState.TimeWait || c.State == TcpState.FinWait2))
                {
                    c.TimeWaitAt = 0; c.State = TcpState.Closed; Release(c);
                    if (!c.InUse) continue;
                }
                if (c.RtoAt != 0 && now >= c.RtoAt) OnRetransmitTimeout(c, now);
                if (!c.InUse) continue;
                if (c.PersistAt != 0 && now >= c.PersistAt)
                {
                    // Window probe: a segment just below the window makes the peer answer with its current window.
                    _counters.Add(NetCounter.TcpWindowProbes);
                    SendSegment(c, c.SndUna - 1, TcpFlags.Ack, 0, 0, false);
                    if (c.PersistBackoff < 16) c.PersistBackoff++;
                    c.PersistAt = now + PersistInterval(c);
                }
                if (c.DelayedAckAt != 0 && now >= c.DelayedAckAt) { c.DelayedAckAt = 0; c.AckNow = true; Output(c); }
                next = Earliest(next, c.RtoAt); next = Earliest(next, c.PersistAt);
                next = Earliest(next, c.DelayedAckAt); next = Earliest(next, c.TimeWaitAt);
            }
            return next;
        }

        private static long Earliest(long a, long b) => b == 0 ? a : a == 0 || b < a ? b : a;

        private void OnRetransmitTimeout(TcpConnection c, long now)
        {
            _counters.Add(NetCounter.TcpRetransmitTimeouts);
            c.Retries++;
            if (c.Retries > _config.MaxRetransmissions || ((c.State == TcpState.SynSent || c.State == TcpState.SynReceived) && c.Retries > 6))
            {
                _counters.Add(NetCounter.TcpConnectionsTimedOut);
                c.RtoAt = 0;
                Abort(c, TcpError.TimedOut, c.State != TcpState.SynSent);
                return;
            }
            long rto = c.Rto * 2; // RFC 6298 5.5: back off; it sticks until a fresh sample (invariant 3)
            c.Rto = rto > _config.MaxRtoMicroseconds ? _config.MaxRtoMicroseconds : rto;
            c.Timing = false;
            if (c.State == TcpState.SynSent || c.State == TcpState.SynReceived) c.SndNxt = c.Iss;
            else
            {
                long half = c.Flight / 2;
                c.Ssthresh = half > 2 * c.Mss ? half : 2 * c.Mss;
                c.Cwnd = c.Mss; c.InRecovery = false; c.DupAcks = 0;
                c.SndNxt = c.SndUna; // go back: resend from the first unacknowledged byte
            }
            c.RtoAt = now + c.Rto;
            Output(c);
        }
    }
}
