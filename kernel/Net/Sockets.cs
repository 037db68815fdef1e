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
    /// network thread reports a change on that socket or listener, or its
    /// deadline passes (kernel: a wait queue per socket, NetStack.Kernel.cs;
    /// host: a 1 ms sleep). Each loop reads the socket's wake count before
    /// its step, so a change between the step and the wait is never missed.
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
                int seen = ListenerWakes(listener);
                _lock.Enter();
                TcpSocket s = _tcp.Accept(listener);
                bool open = _tcp.ListenerValid(listener);
                _lock.Exit();
                if (s.IsValid || !open || Expired(deadline)) return s;
                WaitForListener(listener, seen, deadline);
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
                int seen = SocketWakes(s);
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
                WaitForSocket(s, seen, deadline);
            }
        }

        /// <summary>Bytes read (>0), 0 at end of stream, or a TcpError (TimedOut when nothing came in time).</summary>
        public int Read(TcpSocket s, Span<byte> dst, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            while (true)
            {
                int seen = SocketWakes(s);
                _lock.Enter(); int r = _tcp.Read(s, dst); _lock.Exit();
                if (r != TcpError.WouldBlock) return r;
                if (Expired(deadline)) return timeoutMicroseconds == 0 ? TcpError.WouldBlock : TcpError.TimedOut;
                WaitForSocket(s, seen, deadline);
            }
        }

        /// <summary>Queues all of <paramref name="src"/>, waiting for send-buffer space; returns the count queued or a TcpError.</summary>
        public int Write(TcpSocket s, ReadOnlySpan<byte> src, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            int done = 0;
            while (done < src.Length)
            {
                int seen = SocketWakes(s);
                _lock.Enter(); int r = _tcp.Write(s, src.Slice(done)); _lock.Exit();
                if (r > 0) { done += r; continue; }
                if (r != TcpError.WouldBlock) return done > 0 ? done : r;
                if (Expired(deadline)) return done > 0 ? done : TcpError.TimedOut;
                WaitForSocket(s, seen, deadline);
            }
            return done;
        }

        /// <summary>Waits until the peer acknowledged everything written (or the time-out passes); true if it did.</summary>
        public bool Flush(TcpSocket s, long timeoutMicroseconds)
        {
            long deadline = Deadline(timeoutMicroseconds);
            while (true)
            {
                int seen = SocketWakes(s);
                _lock.Enter(); int n = _tcp.Unacknowledged(s); bool alive = _tcp.Resolve(s) != null; _lock.Exit();
                if (n == 0 || !alive) return n == 0;
                if (Expired(deadline)) return false;
                WaitForSocket(s, seen, deadline);
            }
        }

        /// <summary>Connections established and waiting in the listener's accept queue.</summary>
        public int QueuedConnections(int listener) { _lock.Enter(); int n = _tcp.QueuedConnections(listener); _lock.Exit(); return n; }

        public void Close(TcpSocket s) { _lock.Enter(); _tcp.Close(s); _lock.Exit(); }
        public void Abort(TcpSocket s) { _lock.Enter(); _tcp.Abort(s); _lock.Exit(); }
        public TcpState State(TcpSocket s) { _lock.Enter(); TcpState st = _tcp.StateOf(s); _lock.Exit(); return st; }
        public void SetNoDelay(TcpSocket s, bool on) { _lock.Enter(); _tcp.SetNoDelay(s, on); _lock.Exit(); }

#if MOLT_HOST
        // Host: a short sleep between steps of a blocking call.
        private int SocketWakes(TcpSocket s) => 0;
        private int ListenerWakes(int listener) => 0;
        private void WaitForSocket(TcpSocket s, int seen, long deadline) => NetPlatform.WaitBriefly();
        private void WaitForListener(int listener, int seen, long deadline) => NetPlatform.WaitBriefly();
#endif

        private long Deadline(long timeout) => timeout < 0 ? long.MaxValue : Now + timeout;
        private bool Expired(long deadline) => deadline != long.MaxValue && Now >= deadline;
    }
}
