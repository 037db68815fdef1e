using Xunit;
using System.Runtime.InteropServices;
using Molt.Drivers.Virtio;

namespace Molt.Tests.Virtio;

/// <summary>
/// A split virtqueue with its memory, driven from the device side as QEMU
/// would: it reads the available ring from its own cursor, keeps the buffers
/// it took, and completes them in whatever order a test chooses, writing the
/// used ring. "Physical" addresses are host addresses of a buffer pool here.
/// It also models interrupt suppression: a completion raises an interrupt
/// only while avail.flags lacks NO_INTERRUPT.
/// </summary>
public sealed unsafe class SimulatedVirtioDevice : IDisposable
{
    public const int BufferSize = 2048;
    public readonly int Size;
    public SplitVirtqueue Queue;
    private readonly byte* _desc, _avail, _used, _state, _buffers;
    private ushort _lastAvail, _usedIdx;
    public readonly List<int> Taken = [];
    public int Interrupts;

    public SimulatedVirtioDevice(int size, ushort firstIndex = 0)
    {
        Size = size;
        _desc = (byte*)NativeMemory.AllocZeroed((nuint)SplitVirtqueue.DescriptorTableBytes(size));
        _avail = (byte*)NativeMemory.AllocZeroed((nuint)SplitVirtqueue.AvailRingBytes(size));
        _used = (byte*)NativeMemory.AllocZeroed((nuint)SplitVirtqueue.UsedRingBytes(size));
        _state = (byte*)NativeMemory.AllocZeroed((nuint)size);
        _buffers = (byte*)NativeMemory.AllocZeroed((nuint)(size * BufferSize));
        if (!Queue.Initialize(_desc, _avail, _used, _state, size, firstIndex)) throw new ArgumentException("bad size");
        _lastAvail = firstIndex;
        _usedIdx = firstIndex;
    }

    public void Dispose()
    {
        NativeMemory.Free(_desc); NativeMemory.Free(_avail); NativeMemory.Free(_used); NativeMemory.Free(_state); NativeMemory.Free(_buffers);
    }

    public ulong BufferAddress(int slot) => (ulong)(_buffers + slot * BufferSize);
    public Span<byte> Buffer(int slot) => new(_buffers + slot * BufferSize, BufferSize);

    private ushort AvailIdx => ((ushort*)_avail)[1];
    private ushort AvailFlags => ((ushort*)_avail)[0];
    private VirtqDescriptor* Desc => (VirtqDescriptor*)_desc;

    /// <summary>Driver side: one buffer through TakeFree, filled with <paramref name="fill"/>, submitted and published. Returns its id or -1.</summary>
    public int DriverSend(ReadOnlySpan<byte> payload, bool deviceWrites = false)
    {
        int id = Queue.TakeFree();
        if (id < 0) return -1;
        payload.CopyTo(Buffer(id));
        Assert.True(Queue.Submit(id, BufferAddress(id), (uint)(deviceWrites ? BufferSize : payload.Length), deviceWrites));
        Queue.Publish();
        return id;
    }

    /// <summary>Device side: takes every newly available descriptor id (in ring order).</summary>
    public int Fetch()
    {
        int n = 0;
        while (_lastAvail != AvailIdx)
        {
            ushort id = ((ushort*)_avail)[2 + (_lastAvail % Size)];
            _lastAvail++;
            Taken.Add(id);
            n++;
        }
        return n;
    }

    /// <summary>The bytes of a taken descriptor's buffer, as the device reads them through its address.</summary>
    public ReadOnlySpan<byte> Read(int id) => new((void*)Desc[id].Address, (int)Desc[id].Length);

    /// <summary>Device side: returns <paramref name="id"/> in the used ring with <paramref name="length"/> written (no checks: a faulty device may lie).</summary>
    public void Complete(int id, uint length = 0)
    {
        byte* e = _used + 4 + 8 * (_usedIdx % Size);
        *(uint*)e = (uint)id;
        *(uint*)(e + 4) = length;
        _usedIdx++;
        Interlocked.MemoryBarrier();
        ((ushort*)_used)[1] = _usedIdx;
        if ((AvailFlags & SplitVirtqueue.AvailNoInterrupt) == 0) Interrupts++;
        Taken.Remove(id);
    }

    /// <summary>Writes <paramref name="data"/> into a device-writable descriptor's buffer and completes it.</summary>
    public void Receive(int id, ReadOnlySpan<byte> data)
    {
        Assert.True((Desc[id].Flags & SplitVirtqueue.DescriptorWrite) != 0, "receive into a device-writable buffer");
        Assert.True(data.Length <= Desc[id].Length);
        data.CopyTo(new Span<byte>((void*)Desc[id].Address, data.Length));
        Complete(id, (uint)data.Length);
    }

    public void SetNoNotify(bool on) => ((ushort*)_used)[0] = on ? SplitVirtqueue.UsedNoNotify : (ushort)0;

    /// <summary>The bookkeeping invariant: free + held + device = size, and the free count matches.</summary>
    public void CheckInvariant()
    {
        int free = 0, held = 0, device = 0;
        for (int i = 0; i < Size; i++)
        {
            switch (Queue.StateOf(i))
            {
                case SplitVirtqueue.StateFree: free++; break;
                case SplitVirtqueue.StateHeld: held++; break;
                case SplitVirtqueue.StateDevice: device++; break;
                default: Assert.Fail($"descriptor {i} in unknown state {Queue.StateOf(i)}"); break;
            }
        }
        Assert.Equal(Size, free + held + device);
        Assert.Equal(free, Queue.FreeCount);
    }
}
