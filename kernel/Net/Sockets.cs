#nullable disable
using System;
using Molt.Net.Tcp;

namespace Molt.Net
{
    /// <summary>
    /// The sockets API for kernel code (any thread, any CPU). Each call
    /// takes the stack's lock for one step; the blocking forms retry between
    /// steps until done or the time-out passes (microseconds; 0 = try once,
    /// negative = no limit). Between steps the caller sleeps until the
    /// network thread reports activity (kernel: a wait queue it signals after
    /// every round, so at least every 10 ms; host: a 1 ms sleep).
    /// </summary>
    public sealed partial class NetStack
    {
        public int Listen(ushort port, int backlog)
        {
            _lock.Enter(); int r = _tcp.Listen(port, backlog); _lock.Exit(); return r;
        }

        public void Unlisten(int listener) { _lock.Enter(); _tcp.Unlisten(listener); _lock.Exit(); }

        /// <summary>Waits for a connection on the listener; an invalid socket on time-out or when the listener closes.</summary>
        public TcpSocket Accept(int listener, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            while (true)
            {
                int seen = ActivityStamp(); // before the attempt: a round after it wakes us (no lost wake-up)
                _lock.Enter();
                TcpSocket s = _tcp.Accept(listener);
                bool open = _tcp.ListenerValid(listener);
                _lock.Exit();
                if (s.IsValid || !open || Expired(deadline)) return s;
                WaitForActivity(seen);
            }
        }

        /// <summary>Opens a connection and waits until it is established; sets <paramref name="error"/> otherwise.</summary>
        public TcpSocket Connect(uint ip, ushort port, long timeoutMicroseconds, out int error)
        {
            _lock.Enter();
            TcpSocket s = _tcp.Connect(ip, port, out error);
            _lock.Exit();
            if (!s.IsValid) return s;
            long deadline = Deadline(timeoutMicroseconds);
            while (true)
            {
                int seen = ActivityStamp(); // before the attempt: a round after it wakes us (no lost wake-up)
                _lock.Enter();
                TcpConnection c = _tcp.Resolve(s);
                TcpState st = c == null ? TcpState.Closed : c.State;
                int e = c == null ? TcpError.Closed : c.Error;
                _lock.Exit();
                if (st == TcpState.Established || st == TcpState.CloseWait) { error = 0; return s; }
                if (st == TcpState.Closed || Expired(deadline))
                {
                    error = e != 0 ? e : TcpError.TimedOut;
                    Close(s);
                    return default;
                }
                WaitForActivity(seen);
            }
        }

        /// <summary>Bytes read (>0), 0 at end of stream, or a TcpError (TimedOut when nothing came in time).</summary>
        public int Read(TcpSocket s, Span<byte> dst, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            while (true)
            {
                int seen = ActivityStamp(); // before the attempt: a round after it wakes us (no lost wake-up)
                _lock.Enter(); int r = _tcp.Read(s, dst); _lock.Exit();
                if (r != TcpError.WouldBlock) return r;
                if (Expired(deadline)) return timeoutMicroseconds == 0 ? TcpError.WouldBlock : TcpError.TimedOut;
                WaitForActivity(seen);
            }
        }

        /// <summary>Queues all of <paramref name="src"/>, waiting for send-buffer space; returns the count queued or a TcpError.</summary>
        public int Write(TcpSocket s, ReadOnlySpan<byte> src, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            int done = 0;
            while (done < src.Length)
            {
                int seen = ActivityStamp(); // before the attempt: a round after it wakes us (no lost wake-up)
                _lock.Enter(); int r = _tcp.Write(s, src.Slice(done)); _lock.Exit();
                if (r > 0) { done += r; continue; }
                if (r != TcpError.WouldBlock) return done > 0 ? done : r;
                if (Expired(deadline)) return done > 0 ? done : TcpError.TimedOut;
                WaitForActivity(seen);
            }
            return done;
        }

        /// <summary>Waits until the peer acknowledged everything written (or the time-out passes); true if it did.</summary>
        public bool Flush(TcpSocket s, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            while (true)
            {
                int seen = ActivityStamp(); // before the attempt: a round after it wakes us (no lost wake-up)
                _lock.Enter(); int n = _tcp.Unacknowledged(s); bool alive = _tcp.Resolve(s) != null; _lock.Exit();
                if (n == 0 || !alive) return n == 0;
                if (Expired(deadline)) return false;
                WaitForActivity(seen);
            }
        }

        /// <summary>Connections established and waiting in the listener's accept queue.</summary>
        public int QueuedConnections(int listener) { _lock.Enter(); int n = _tcp.QueuedConnections(listener); _lock.Exit(); return n; }

        public void Close(TcpSocket s) { _lock.Enter(); _tcp.Close(s); _lock.Exit(); }
        public void Abort(TcpSocket s) { _lock.Enter(); _tcp.Abort(s); _lock.Exit(); }
        public TcpState State(TcpSocket s) { _lock.Enter(); TcpState st = _tcp.StateOf(s); _lock.Exit(); return st; }
        public void SetNoDelay(TcpSocket s, bool on) { _lock.Enter(); _tcp.SetNoDelay(s, on); _lock.Exit(); }

#if MOLT_HOST
        /// <summary>Host: a short sleep between steps of a blocking call.</summary>
        private void WaitForActivity(int seen) => NetPlatform.WaitBriefly();
        private int ActivityStamp() => 0;
#endif

        private long Deadline(long timeout) => timeout < 0 ? long.MaxValue : Now + timeout;
        private bool Expired(long deadline) => deadline != long.MaxValue && Now >= deadline;
    }
}
