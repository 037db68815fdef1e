#nullable disable
using System;

namespace Molt.Net.Kv
{
    /// <summary>
    /// A plain key-value store for the host tests of the HTTP server (the
    /// kernel's store is the updatable KvStore in services/Kv).
    /// </summary>
    public interface IKvStore
    {
        /// <summary>Copies the value into <paramref name="value"/>: its length, -1 if absent, -2 if the buffer is too small.</summary>
        int Get(ReadOnlySpan<byte> key, Span<byte> value);
        /// <summary>1 created, 0 replaced, -1 full (keys or bytes), -2 key or value too large.</summary>
        int Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
        bool Delete(ReadOnlySpan<byte> key);
        int Count { get; }
        long Bytes { get; }
        int Version { get; }
    }

    /// <summary>
    /// Version 1 of the store: open addressing (linear probing, tombstones)
    /// over arrays sized at creation; keys up to <see cref="MaxKey"/> bytes in
    /// one flat array; each value in its own buffer, reused when a new value
    /// fits and freed (kernel: Heap.Free) when replaced by a larger one or deleted.
    /// Thread-safe: one lock around each call (HTTP workers on any CPU).
    /// </summary>
    public sealed class KvTable : IKvStore
    {
        public const int MaxKey = 200;
        public const int MaxValue = 1 << 20;

        private readonly NetLock _lock = new NetLock();
        private readonly int _capacity;      // a power of two
        private readonly byte[] _keys;
        private readonly int[] _keyLength;
        private readonly byte[] _state;      // 0 empty, 1 used, 2 deleted
        private readonly byte[][] _values;
        private readonly int[] _valueLength;
        private readonly long _maxBytes;
        private int _count, _used;
        private long _bytes;

        public KvTable(int capacity, long maxBytes)
        {
            int c = 16; while (c < capacity) c <<= 1;
            _capacity = c; _maxBytes = maxBytes;
            _keys = new byte[c * MaxKey]; _keyLength = new int[c]; _state = new byte[c];
            _values = new byte[c][]; _valueLength = new int[c];
        }

        public int Count => _count;
        public long Bytes => _bytes;
        public int Version => 1;
        public int Capacity => _capacity;

        /// <summary>Frees every buffer (kernel); the table must no longer be reachable.</summary>
        public void Free()
        {
            for (int i = 0; i < _capacity; i++) NetPlatform.Free(_values[i]);
            NetPlatform.Free(_values); NetPlatform.Free(_keys); NetPlatform.Free(_keyLength);
            NetPlatform.Free(_state); NetPlatform.Free(_valueLength);
            NetPlatform.Free(_lock);
        }

        private static uint Hash(ReadOnlySpan<byte> key)
        {
            uint h = 2166136261;
            for (int i = 0; i < key.Length; i++) { h ^= key[i]; h *= 16777619; }
            return h;
        }

        private bool KeyAt(int slot, ReadOnlySpan<byte> key)
        {
            if (_keyLength[slot] != key.Length) return false;
            int o = slot * MaxKey;
            for (int i = 0; i < key.Length; i++) if (_keys[o + i] != key[i]) return false;
            return true;
        }

        /// <summary>The slot holding the key, or -1; <paramref name="free"/> is the first reusable slot seen (or -1).</summary>
        private int Find(ReadOnlySpan<byte> key, out int free)
        {
            free = -1;
            int mask = _capacity - 1;
            int i = (int)(Hash(key) & (uint)mask);
            for (int n = 0; n < _capacity; n++, i = (i + 1) & mask)
            {
                byte s = _state[i];
                if (s == 0) { if (free < 0) free = i; return -1; }
                if (s == 2) { if (free < 0) free = i; continue; }
                if (KeyAt(i, key)) return i;
            }
            return -1;
        }

        public int Get(ReadOnlySpan<byte> key, Span<byte> value)
        {
            _lock.Enter();
            int slot = Find(key, out _);
            int r;
            if (slot < 0) r = -1;
            else if (_valueLength[slot] > value.Length) r = -2;
            else
            {
                r = _valueLength[slot];
                new ReadOnlySpan<byte>(_values[slot], 0, r).CopyTo(value);
            }
            _lock.Exit();
            return r;
        }

        public int Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (key.Length == 0 || key.Length > MaxKey || value.Length > MaxValue) return -2;
            _lock.Enter();
            int r = PutLocked(key, value);
            _lock.Exit();
            return r;
        }

        private int PutLocked(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            int slot = Find(key, out int free);
            bool created = slot < 0;
            if (created)
            {
                // Keep a quarter of the slots empty so probes stay short and always end.
                if (free < 0 || (_state[free] == 0 && _used + 1 > _capacity - _capacity / 4)) return -1;
                slot = free;
            }
            long old = created ? 0 : _valueLength[slot];
            if (_bytes - old + value.Length > _maxBytes) return -1;
            byte[] buf = _values[slot];
            if (buf == null || buf.Length < value.Length)
            {
                byte[] nb = new byte[value.Length < 16 ? 16 : value.Length];
                NetPlatform.Free(buf);
                _values[slot] = buf = nb;
            }
            value.CopyTo(new Span<byte>(buf));
            _valueLength[slot] = value.Length;
            _bytes += value.Length - old;
            if (created)
            {
                if (_state[slot] == 0) _used++;
                _state[slot] = 1;
                key.CopyTo(new Span<byte>(_keys, slot * MaxKey, MaxKey));
                _keyLength[slot] = key.Length;
                _count++;
            }
            return created ? 1 : 0;
        }

        public bool Delete(ReadOnlySpan<byte> key)
        {
            _lock.Enter();
            int slot = Find(key, out _);
            if (slot >= 0)
            {
                _state[slot] = 2;
                _bytes -= _valueLength[slot];
                _valueLength[slot] = 0;
                NetPlatform.Free(_values[slot]);
                _values[slot] = null;
                _count--;
            }
            _lock.Exit();
            return slot >= 0;
        }

        /// <summary>Copies every entry of <paramref name="from"/> in (state transfer between versions); false if they do not fit.</summary>
        public bool CopyFrom(KvTable from)
        {
            from._lock.Enter();
            bool ok = true;
            for (int i = 0; i < from._capacity && ok; i++)
            {
                if (from._state[i] != 1) continue;
                ReadOnlySpan<byte> k = new ReadOnlySpan<byte>(from._keys, i * MaxKey, from._keyLength[i]);
                ok = Put(k, new ReadOnlySpan<byte>(from._values[i], 0, from._valueLength[i])) >= 0;
            }
            from._lock.Exit();
            return ok;
        }
    }
}
