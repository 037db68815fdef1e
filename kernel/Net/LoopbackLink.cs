#nullable disable
using System;

namespace Molt.Net
{
    /// <summary>
    /// Two network devices joined by a virtual cable, for running two stack
    /// instances against each other (in-kernel tests, host tests with
    /// threads). Each end has a bounded inbox of frame slots allocated at
    /// creation; a full inbox refuses the frame (TCP retransmits it).
    /// Transmit copies into the peer's inbox under that inbox's lock (a leaf
    /// lock); Poll copies one frame out under the lock and hands it to the
    /// sink without holding it.
    /// </summary>
    public sealed class LoopbackDevice : INetDevice
    {
        private readonly byte[] _mac = new byte[6];
        private readonly NetLock _lock = new NetLock();
        private readonly byte[] _slots;
        private readonly int[] _lengths;
        private readonly byte[] _scratch;
        private readonly int _slotSize, _count;
        private int _head, _used;
        public LoopbackDevice Peer;
        public long Refused;

        public LoopbackDevice(byte macLast, int slots)
        {
            _mac[0] = 0x52; _mac[1] = 0x54; _mac[2] = 0x00; _mac[3] = 0x4C; _mac[4] = 0x4F; _mac[5] = macLast;
            _slotSize = 1514; _count = slots;
            _slots = new byte[slots * _slotSize]; _lengths = new int[slots]; _scratch = new byte[_slotSize];
        }

        /// <summary>Makes a connected pair.</summary>
        public static void Pair(int slots, out LoopbackDevice a, out LoopbackDevice b)
        {
            a = new LoopbackDevice(0x0A, slots); b = new LoopbackDevice(0x0B, slots);
            a.Peer = b; b.Peer = a;
        }

        public void Free()
        {
            NetPlatform.Free(_mac); NetPlatform.Free(_slots); NetPlatform.Free(_lengths); NetPlatform.Free(_scratch);
#if !MOLT_HOST
            _lock.Free();
#endif
            NetPlatform.Free(_lock);
        }

        public void GetMacAddress(Span<byte> mac6) => new ReadOnlySpan<byte>(_mac).CopyTo(mac6);
        public int Mtu => 1500;

        public bool Transmit(ReadOnlySpan<byte> frame) => Peer != null && Peer.Enqueue(frame);

        private bool Enqueue(ReadOnlySpan<byte> frame)
        {
            if (frame.Length > _slotSize) return false;
            _lock.Enter();
            bool ok = _used < _count;
            if (ok)
            {
                int slot = (_head + _used) % _count;
                frame.CopyTo(new Span<byte>(_slots, slot * _slotSize, _slotSize));
                _lengths[slot] = frame.Length;
                _used++;
            }
            else Refused++;
            _lock.Exit();
            return ok;
        }

        public int Poll(IFrameSink sink, int budget)
        {
            int n = 0;
            while (n < budget)
            {
                _lock.Enter();
                if (_used == 0) { _lock.Exit(); break; }
                int len = _lengths[_head];
                new ReadOnlySpan<byte>(_slots, _head * _slotSize, len).CopyTo(new Span<byte>(_scratch));
                _head = (_head + 1) % _count; _used--;
                _lock.Exit();
                sink.OnFrame(new ReadOnlySpan<byte>(_scratch, 0, len));
                n++;
            }
            return n;
        }

        public bool HasFrames { get { _lock.Enter(); bool r = _used > 0; _lock.Exit(); return r; } }

        /// <summary>Sleeps in short steps until a frame is waiting or the time-out passes.</summary>
        public void WaitForFrames(long timeoutMicroseconds)
        {
            if (timeoutMicroseconds > 0 && !HasFrames) NetPlatform.WaitBriefly();
        }
    }
}
