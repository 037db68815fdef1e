#nullable disable
using System;

namespace Molt.Net
{
    /// <summary>
    /// IPv4 to MAC, a fixed number of entries that expire. When full, the
    /// entry closest to expiry is replaced. Under the stack's lock.
    /// </summary>
    public sealed class ArpCache
    {
        private readonly uint[] _ip;
        private readonly byte[] _mac;
        private readonly long[] _expires;
        private readonly long _lifetime;

        public ArpCache(int size, long lifetimeMicroseconds)
        {
            _ip = new uint[size]; _mac = new byte[size * 6]; _expires = new long[size]; _lifetime = lifetimeMicroseconds;
        }

        public void Free() { NetPlatform.Free(_ip); NetPlatform.Free(_mac); NetPlatform.Free(_expires); }

        public int Count(long now) { int n = 0; for (int i = 0; i < _ip.Length; i++) if (_expires[i] > now) n++; return n; }

        public bool TryGet(uint ip, long now, Span<byte> mac)
        {
            for (int i = 0; i < _ip.Length; i++)
            {
                if (_ip[i] != ip || _expires[i] <= now) continue;
                new ReadOnlySpan<byte>(_mac, i * 6, 6).CopyTo(mac);
                return true;
            }
            return false;
        }

        public void Put(uint ip, ReadOnlySpan<byte> mac, long now)
        {
            if (ip == 0 || ip == 0xFFFFFFFF) return;
            int slot = -1, soonest = 0;
            for (int i = 0; i < _ip.Length; i++)
            {
                if (_ip[i] == ip) { slot = i; break; }
                if (_expires[i] < _expires[soonest]) soonest = i;
            }
            if (slot < 0) slot = soonest;
            _ip[slot] = ip;
            mac.Slice(0, 6).CopyTo(new Span<byte>(_mac, slot * 6, 6));
            _expires[slot] = now + _lifetime;
        }
    }
}
