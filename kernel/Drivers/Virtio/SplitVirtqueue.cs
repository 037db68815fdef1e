using System.Threading;

namespace Molt.Drivers.Virtio
{
    /// <summary>One descriptor of a split virtqueue (virtio 1.x, 2.7.5): 16 bytes, little-endian.</summary>
    public struct VirtqDescriptor
    {
        public ulong Address;
        public uint Length;
        public ushort Flags;
        public ushort Next;
    }

    /// <summary>What <see cref="SplitVirtqueue.TryTakeUsed"/> found.</summary>
    public enum UsedResult { Empty, Taken, BadDescriptor }

    /// <summary>
    /// The driver's side of a split virtqueue (virtio 1.x, 2.7), over memory
    /// the caller provides: the descriptor table, the available ring, the used
    /// ring and one state byte per descriptor. Pure index arithmetic and
    /// bookkeeping, with no device access, so the host tests drive it against
    /// a simulated device.
    ///
    /// Every buffer is one descriptor (no chains, no indirect tables); a
    /// driver ties descriptor id i to its own buffer slot i, so an id names
    /// both. Each descriptor is in exactly one state:
    /// <list type="bullet">
    /// <item>Free: on the free list (linked through <c>Next</c>).</item>
    /// <item>Held: the driver's, between <see cref="TakeFree"/> or
    ///       <see cref="TryTakeUsed"/> and <see cref="Submit"/> or <see cref="Release"/>.</item>
    /// <item>Device: in the available ring, until the used ring returns it.</item>
    /// </list>
    /// Invariants: free + held + device = size; the device only returns ids
    /// in the Device state, and each once per submission: a used entry that
    /// breaks this (an id out of range, or not in the device's hands) is
    /// skipped and reported as <see cref="UsedResult.BadDescriptor"/>, so ids
    /// can never be mixed up, whatever the device does.
    ///
    /// Index arithmetic: avail.idx and used.idx are free-running 16-bit
    /// counters (they wrap at 65536, not at the ring size); a ring slot is the
    /// counter modulo the size, so the size must be a power of two (2.7: for
    /// split queues it is). Entries waiting = (ushort)(used.idx - lastUsed).
    ///
    /// Ordering (2.7.13): descriptor and ring-slot writes happen before the
    /// avail.idx store (a full barrier between), and reading used.idx happens
    /// before reading the used entries it covers (a barrier after the load).
    /// Not thread-safe: one owner per queue (the driver serializes).
    /// </summary>
    public unsafe struct SplitVirtqueue
    {
        public const ushort DescriptorWrite = 2;
        public const ushort AvailNoInterrupt = 1;
        public const ushort UsedNoNotify = 1;
        public const byte StateFree = 0, StateHeld = 1, StateDevice = 2;
        public const int MaxSize = 32768;

        private VirtqDescriptor* _desc;
        private ushort* _avail;   // flags, idx, ring[size], used_event
        private byte* _used;      // flags u16, idx u16, ring[size] of {u32 id, u32 len}, avail_event u16
        private byte* _state;
        private ushort _size;
        private ushort _freeHead;
        private int _freeCount;
        private ushort _availIdx;
        private ushort _lastUsed;
        private ulong _badDescriptors;

        public static int DescriptorTableBytes(int size) => 16 * size;
        public static int AvailRingBytes(int size) => 6 + 2 * size;
        public static int UsedRingBytes(int size) => 6 + 8 * size;
        public static bool IsValidSize(int size) => size > 0 && size <= MaxSize && (size & (size - 1)) == 0;

        public int Size => _size;
        public int FreeCount => _freeCount;
        public int DeviceCount { get { int n = 0; for (int i = 0; i < _size; i++) if (_state[i] == StateDevice) n++; return n; } }
        public ushort AvailIndex => _availIdx;
        public ushort LastUsedIndex => _lastUsed;
        public ulong BadDescriptors => _badDescriptors;
        public byte StateOf(int id) => (uint)id < _size ? _state[id] : (byte)0xFF;

        /// <summary>
        /// Lays out an empty queue: every descriptor free, both rings zeroed.
        /// <paramref name="firstIndex"/> starts both counters elsewhere than 0
        /// (the host tests start near 65535 to cross the 16-bit wrap).
        /// False when the size is not a power of two up to 32768.
        /// </summary>
        public bool Initialize(void* descriptors, void* avail, void* used, byte* state, int size, ushort firstIndex = 0)
        {
            if (!IsValidSize(size)) return false;
            _desc = (VirtqDescriptor*)descriptors;
            _avail = (ushort*)avail;
            _used = (byte*)used;
            _state = state;
            _size = (ushort)size;
            for (int i = 0; i < DescriptorTableBytes(size); i++) ((byte*)descriptors)[i] = 0;
            for (int i = 0; i < AvailRingBytes(size); i++) ((byte*)avail)[i] = 0;
            for (int i = 0; i < UsedRingBytes(size); i++) ((byte*)used)[i] = 0;
            for (int i = 0; i < size; i++)
            {
                _desc[i].Next = (ushort)(i + 1 < size ? i + 1 : 0);
                _state[i] = StateFree;
            }
            _freeHead = 0;
            _freeCount = size;
            _availIdx = firstIndex;
            _lastUsed = firstIndex;
            _avail[1] = firstIndex;
            *(ushort*)(_used + 2) = firstIndex;
            return true;
        }

        /// <summary>A free descriptor id, now Held; -1 when every descriptor is held or with the device.</summary>
        public int TakeFree()
        {
            if (_freeCount == 0) return -1;
            ushort id = _freeHead;
            _freeHead = _desc[id].Next;
            _freeCount--;
            _state[id] = StateHeld;
            return id;
        }

        /// <summary>Returns a Held descriptor to the free list; false (and nothing changes) if it was not Held.</summary>
        public bool Release(int id)
        {
            if ((uint)id >= _size || _state[id] != StateHeld) return false;
            _desc[id].Next = _freeHead;
            _freeHead = (ushort)id;
            _freeCount++;
            _state[id] = StateFree;
            return true;
        }

        /// <summary>
        /// Fills Held descriptor <paramref name="id"/> with one buffer and puts it
        /// in the next available-ring slot. The device sees it only after
        /// <see cref="Publish"/>. False (nothing changes) if it was not Held.
        /// </summary>
        public bool Submit(int id, ulong address, uint length, bool deviceWrites)
        {
            if ((uint)id >= _size || _state[id] != StateHeld) return false;
            _desc[id].Address = address;
            _desc[id].Length = length;
            _desc[id].Flags = deviceWrites ? DescriptorWrite : (ushort)0;
            _desc[id].Next = 0;
            _state[id] = StateDevice;
            _avail[2 + (_availIdx & (_size - 1))] = (ushort)id;
            _availIdx++;
            return true;
        }

        /// <summary>Makes every submitted buffer visible: a barrier, then avail.idx, then a barrier (so a following notify or flag read comes after).</summary>
        public void Publish()
        {
            Interlocked.MemoryBarrier();
            _avail[1] = _availIdx;
            Interlocked.MemoryBarrier();
        }

        /// <summary>The device's used.idx (with a barrier after, so entries read later are current).</summary>
        private ushort UsedIndex()
        {
            Interlocked.MemoryBarrier();
            ushort idx = *(ushort*)(_used + 2);
            Interlocked.MemoryBarrier();
            return idx;
        }

        /// <summary>True when the device has returned buffers not yet taken.</summary>
        public bool HasUsed => UsedIndex() != _lastUsed;

        /// <summary>How many used entries wait (0 to size; more means a broken device).</summary>
        public int UsedPending => (ushort)(UsedIndex() - _lastUsed);

        /// <summary>
        /// Takes the next used entry. Taken: <paramref name="id"/> is Held again
        /// and <paramref name="length"/> is what the device wrote (device-writable
        /// buffers) or 0. BadDescriptor: the entry named an id out of range or
        /// not with the device; it is skipped and counted, and nothing else changes.
        /// </summary>
        public UsedResult TryTakeUsed(out int id, out uint length)
        {
            id = -1; length = 0;
            if (UsedIndex() == _lastUsed) return UsedResult.Empty;
            byte* entry = _used + 4 + 8 * (_lastUsed & (_size - 1));
            uint rawId = *(uint*)entry;
            uint len = *(uint*)(entry + 4);
            _lastUsed++;
            if (rawId >= _size || _state[rawId] != StateDevice)
            {
                _badDescriptors++;
                return UsedResult.BadDescriptor;
            }
            _state[rawId] = StateHeld;
            id = (int)rawId;
            length = len;
            return UsedResult.Taken;
        }

        /// <summary>Asks the device for interrupts on used buffers, or asks it not to (a hint: it may still send some).</summary>
        public void SetInterrupts(bool enabled)
        {
            _avail[0] = enabled ? (ushort)0 : AvailNoInterrupt;
            Interlocked.MemoryBarrier();
        }

        public bool InterruptsEnabled => (_avail[0] & AvailNoInterrupt) == 0;

        /// <summary>
        /// Whether the device wants a notification after <see cref="Publish"/>
        /// (used.flags lacks NO_NOTIFY). Read after Publish's barrier, so a
        /// device that clears the flag and then looks at avail.idx cannot be missed.
        /// </summary>
        public bool NeedsNotify { get { Interlocked.MemoryBarrier(); return (*(ushort*)_used & UsedNoNotify) == 0; } }
    }
}
