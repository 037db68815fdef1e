#nullable disable
using System;

namespace Molt.Net.Tcp
{
    /// <summary>
    /// A byte ring over an array allocated once at start. <see cref="Count"/>
    /// bytes are readable from the head; the receive side may also place
    /// out-of-order bytes past the end (<see cref="WriteAt"/>) and make them
    /// readable later (<see cref="Commit"/>).
    /// </summary>
    public sealed class RingBuffer
    {
        private readonly byte[] _data;
        private int _head, _count;

        public RingBuffer(int capacity) { _data = new byte[capacity]; }
        public int Capacity => _data.Length;
        public int Count => _count;
        public int Free => _data.Length - _count;
        public byte[] Storage => _data;

        public void Reset() { _head = 0; _count = 0; }

        /// <summary>Appends as much as fits; returns the count appended.</summary>
        public int Write(ReadOnlySpan<byte> src)
        {
            int n = src.Length < Free ? src.Length : Free;
            WriteAt(0, src.Slice(0, n));
            _count += n;
            return n;
        }

        /// <summary>Copies bytes to <paramref name="offset"/> past the readable end without making them readable. The caller checked the bounds.</summary>
        public void WriteAt(int offset, ReadOnlySpan<byte> src)
        {
            int cap = _data.Length;
            int pos = (_head + _count + offset) % cap;
            int first = cap - pos < src.Length ? cap - pos : src.Length;
            src.Slice(0, first).CopyTo(new Span<byte>(_data, pos, first));
            if (first < src.Length) src.Slice(first).CopyTo(new Span<byte>(_data, 0, src.Length - first));
        }

        /// <summary>Makes <paramref name="n"/> bytes already placed past the end readable.</summary>
        public void Commit(int n) => _count += n;

        /// <summary>Copies readable bytes from <paramref name="offset"/> without consuming them; returns the count.</summary>
        public int Peek(int offset, Span<byte> dst)
        {
            int avail = _count - offset;
            if (avail <= 0) return 0;
            int n = dst.Length < avail ? dst.Length : avail;
            int cap = _data.Length;
            int pos = (_head + offset) % cap;
            int first = cap - pos < n ? cap - pos : n;
            new ReadOnlySpan<byte>(_data, pos, first).CopyTo(dst);
            if (first < n) new ReadOnlySpan<byte>(_data, 0, n - first).CopyTo(dst.Slice(first));
            return n;
        }

        public void Discard(int n)
        {
            if (n > _count) n = _count;
            _head = (_head + n) % _data.Length;
            _count -= n;
        }

        public int Read(Span<byte> dst)
        {
            int n = Peek(0, dst);
            Discard(n);
            return n;
        }
    }
}
