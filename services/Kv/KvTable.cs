using System;
using Molt.Memory;
using Molt.Threading;

namespace Molt.Services.Kv
{
    /// <summary>
    /// The store's data: an open-addressing hash table of keys and values,
    /// each copied into its own heap block, behind a mutex. Kernel store
    /// versions and patches share it (a patch links against these methods).
    ///
    /// Memory: the table owns every key and value block and its slot array;
    /// <see cref="Dispose"/> frees them all. Nothing is allocated behind a
    /// caller's back except the copies a <see cref="Set"/> stores; a failed
    /// allocation changes nothing and returns <see cref="KvResult.OutOfMemory"/>.
    /// </summary>
    public sealed unsafe class KvTable
    {
        public struct Slot
        {
            public byte* Key;
            public byte* Value;
            public int KeyLength, ValueLength;
            public uint Hash;
            /// <summary>Writes since the key was created (versions that keep it; 0 otherwise).</summary>
            public long Version;
            /// <summary>Bytes the value's block holds (at least ValueLength): a value that fits is written in place.</summary>
            public int ValueCapacity;
        }

        /// <summary>Values up to this size are overwritten in place, under the lock, when their block holds them.</summary>
        public const int InPlaceLimit = 16 * 1024;

        private static readonly byte* Tombstone = (byte*)1;
        private const int InitialCapacity = 64;

        private Slot* _slots;
        private int _capacity, _count, _used;
        private readonly Mutex _lock = new Mutex();

        public int Count => _count;
        public int Capacity => _capacity;

        /// <summary>Held by every method below; a version that composes them (read, then write) takes it itself.</summary>
        public Mutex Lock => _lock;

        /// <summary>A table with no entries yet (the slot array comes with the first <see cref="Set"/>).</summary>
        public KvTable() { }

        public static uint HashOf(ReadOnlySpan<byte> key)
        {
            uint h = 2166136261;
            for (int i = 0; i < key.Length; i++) h = (h ^ key[i]) * 16777619;
            return h;
        }

        /// <summary>The slot holding <paramref name="key"/>, or null. Call with <see cref="Lock"/> held; the slot is valid until the table changes.</summary>
        public Slot* Find(ReadOnlySpan<byte> key)
        {
            if (_capacity == 0) return null;
            uint h = HashOf(key);
            int mask = _capacity - 1;
            for (int n = 0, i = (int)h & mask; n < _capacity; n++, i = (i + 1) & mask)
            {
                Slot* s = _slots + i;
                if (s->Key == null) return null;
                if (s->Key != Tombstone && s->Hash == h && Same(s, key)) return s;
            }
            return null;
        }

        public KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length)
        {
            _lock.Lock();
            Slot* s = Find(key);
            KvResult r = CopyOut(s, into, out length);
            _lock.Unlock();
            return r;
        }

        /// <summary>Copies a found slot's value out (or says why not). Call with <see cref="Lock"/> held.</summary>
        public static KvResult CopyOut(Slot* s, Span<byte> into, out int length)
        {
            length = 0;
            if (s == null) return KvResult.NotFound;
            length = s->ValueLength;
            if (into.Length < s->ValueLength) return KvResult.BufferTooSmall;
            new ReadOnlySpan<byte>(s->Value, s->ValueLength).CopyTo(into);
            return KvResult.Ok;
        }

        /// <summary>Stores copies of key and value, replacing the value of an existing key; bumps its version when <paramref name="versioned"/>.</summary>
        public KvResult Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool versioned)
        {
            if (key.Length == 0 || key.Length > KvStore.MaxKeyBytes || value.Length > KvStore.MaxValueBytes) return KvResult.TooLarge;
            // A replaced value that fits its block is written in place: a steady stream
            // of PUTs to existing keys allocates nothing. Larger ones are copied outside
            // the lock, so a 1 MiB copy never holds up other requests.
            if (value.Length <= InPlaceLimit)
            {
                _lock.Lock();
                Slot* s = Find(key);
                if (s != null && value.Length <= s->ValueCapacity)
                {
                    value.CopyTo(new Span<byte>(s->Value, value.Length));
                    s->ValueLength = value.Length;
                    s->Version += versioned ? 1 : 0;
                    _lock.Unlock();
                    return KvResult.Ok;
                }
                _lock.Unlock();
            }
            byte* copy = Copy(value);
            if (copy == null) return KvResult.OutOfMemory;
            _lock.Lock();
            KvResult r = SetLocked(key, copy, value.Length, versioned ? 1 : 0);
            _lock.Unlock();
            if (r != KvResult.Ok) Heap.Free(copy);
            return r;
        }

        /// <summary>
        /// Stores <paramref name="value"/> (a heap block the table takes over
        /// on Ok) under <paramref name="key"/>. Call with <see cref="Lock"/> held.
        /// <paramref name="versionStep"/> is added to the key's version (a new key starts at it).
        /// </summary>
        public KvResult SetLocked(ReadOnlySpan<byte> key, byte* value, int valueLength, long versionStep)
        {
            Slot* s = Find(key);
            if (s != null)
            {
                byte* old = s->Value;
                s->Value = value;
                s->ValueLength = valueLength;
                s->ValueCapacity = valueLength;
                s->Version += versionStep;
                Heap.Free(old);
                return KvResult.Ok;
            }
            if ((_used + 1) * 4 > _capacity * 3 && !Grow()) return KvResult.OutOfMemory;
            byte* k = Copy(key);
            if (k == null) return KvResult.OutOfMemory;
            uint h = HashOf(key);
            int mask = _capacity - 1, i = (int)h & mask;
            while (_slots[i].Key != null && _slots[i].Key != Tombstone) i = (i + 1) & mask;
            if (_slots[i].Key == null) _used++;
            _slots[i] = new Slot { Key = k, KeyLength = key.Length, Value = value, ValueLength = valueLength, ValueCapacity = valueLength, Hash = h, Version = versionStep };
            _count++;
            return KvResult.Ok;
        }

        public KvResult Delete(ReadOnlySpan<byte> key)
        {
            _lock.Lock();
            Slot* s = Find(key);
            if (s != null)
            {
                Heap.Free(s->Key);
                Heap.Free(s->Value);
                *s = default;
                s->Key = Tombstone;
                _count--;
            }
            _lock.Unlock();
            return s != null ? KvResult.Ok : KvResult.NotFound;
        }

        /// <summary>The slot at <paramref name="index"/> if it holds a key (for copying a whole table), else null. Call with <see cref="Lock"/> held.</summary>
        public Slot* At(int index) =>
            (uint)index < (uint)_capacity && _slots[index].Key != null && _slots[index].Key != Tombstone ? _slots + index : null;

        /// <summary>
        /// Copies every entry of <paramref name="from"/> into this table
        /// (empty, not yet shared), keeping versions when <paramref name="keepVersions"/>.
        /// All or nothing: on OutOfMemory this table is emptied again.
        /// </summary>
        public KvResult CopyFrom(KvTable from, bool keepVersions)
        {
            if (from == null) return KvResult.NotFound;
            from._lock.Lock();
            KvResult r = KvResult.Ok;
            for (int i = 0; i < from._capacity && r == KvResult.Ok; i++)
            {
                Slot* s = from.At(i);
                if (s == null) continue;
                byte* v = Copy(new ReadOnlySpan<byte>(s->Value, s->ValueLength));
                if (v == null) { r = KvResult.OutOfMemory; break; }
                r = SetLocked(new ReadOnlySpan<byte>(s->Key, s->KeyLength), v, s->ValueLength, keepVersions ? s->Version : 0);
                if (r != KvResult.Ok) Heap.Free(v);
            }
            from._lock.Unlock();
            if (r != KvResult.Ok) Clear();
            return r;
        }

        /// <summary>Frees every key, value and the slot array; the table is empty and usable again.</summary>
        public void Clear()
        {
            for (int i = 0; i < _capacity; i++)
            {
                Slot* s = At(i);
                if (s == null) continue;
                Heap.Free(s->Key);
                Heap.Free(s->Value);
            }
            if (_slots != null) Heap.Free(_slots);
            _slots = null;
            _capacity = _count = _used = 0;
        }

        /// <summary>Frees everything the table owns, then the table itself (and its mutex).</summary>
        public void Dispose()
        {
            Clear();
            Heap.Free(_lock);
            Heap.Free(this);
        }

        private bool Grow()
        {
            int capacity = _capacity == 0 ? InitialCapacity : _capacity * 2;
            var slots = (Slot*)Heap.Allocate((uint)(capacity * sizeof(Slot)));
            if (slots == null) return false;
            int mask = capacity - 1;
            for (int i = 0; i < _capacity; i++)
            {
                Slot* s = At(i);
                if (s == null) continue;
                int j = (int)s->Hash & mask;
                while (slots[j].Key != null) j = (j + 1) & mask;
                slots[j] = *s;
            }
            if (_slots != null) Heap.Free(_slots);
            _slots = slots;
            _capacity = capacity;
            _used = _count;
            return true;
        }

        private static bool Same(Slot* s, ReadOnlySpan<byte> key) =>
            new ReadOnlySpan<byte>(s->Key, s->KeyLength).SequenceEqual(key);

        /// <summary>A heap copy of <paramref name="bytes"/> (at least one byte allocated), or null when the heap is exhausted.</summary>
        public static byte* Copy(ReadOnlySpan<byte> bytes)
        {
            var p = (byte*)Heap.Allocate((uint)(bytes.Length == 0 ? 1 : bytes.Length));
            if (p != null) bytes.CopyTo(new Span<byte>(p, bytes.Length));
            return p;
        }
    }
}
