#nullable disable
using System.Threading;

namespace Molt.Net.Http
{
    /// <summary>
    /// A few large buffers that a server's many workers share for the rare
    /// large body or answer (a 1 MiB value), so each worker keeps only a
    /// small buffer of its own. All allocated at construction; Take and
    /// Return only flip bits. Who took a buffer returns it: the handler,
    /// through <see cref="IHttpAdmission"/>'s Abandoned and Sent.
    /// </summary>
    public sealed class BodyPool
    {
        public const int MaxBuffers = 64;

        private readonly byte[][] _buffers;
        private long _taken; // bit i: buffer i is out

        public BodyPool(int buffers, int bytes)
        {
            if (buffers > MaxBuffers) buffers = MaxBuffers;
            _buffers = new byte[buffers][];
            for (int i = 0; i < buffers; i++) _buffers[i] = new byte[bytes];
        }

        public int Count => _buffers.Length;
        public int BufferBytes => _buffers.Length == 0 ? 0 : _buffers[0].Length;
        public int InUse { get { long t = Volatile.Read(ref _taken); int n = 0; while (t != 0) { t &= t - 1; n++; } return n; } }

        /// <summary>A free buffer, or null when all are out.</summary>
        public byte[] Take()
        {
            while (true)
            {
                long taken = Volatile.Read(ref _taken);
                int i = 0;
                while (i < _buffers.Length && (taken & (1L << i)) != 0) i++;
                if (i == _buffers.Length) return null;
                if (Interlocked.CompareExchange(ref _taken, taken | (1L << i), taken) == taken) return _buffers[i];
            }
        }

        /// <summary>Whether <paramref name="buffer"/> is one of this pool's.</summary>
        public bool Owns(byte[] buffer) => IndexOf(buffer) >= 0;

        /// <summary>Gives a taken buffer back; false (nothing changed) when it is not this pool's or not out.</summary>
        public bool Return(byte[] buffer)
        {
            int i = IndexOf(buffer);
            if (i < 0) return false;
            while (true)
            {
                long taken = Volatile.Read(ref _taken);
                if ((taken & (1L << i)) == 0) return false;
                if (Interlocked.CompareExchange(ref _taken, taken & ~(1L << i), taken) == taken) return true;
            }
        }

        private int IndexOf(byte[] buffer)
        {
            if (buffer == null) return -1;
            for (int i = 0; i < _buffers.Length; i++) if ((object)_buffers[i] == buffer) return i;
            return -1;
        }

        public void Free()
        {
            for (int i = 0; i < _buffers.Length; i++) NetPlatform.Free(_buffers[i]);
            NetPlatform.Free(_buffers);
        }
    }
}
