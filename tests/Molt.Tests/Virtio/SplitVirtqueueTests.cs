using Molt.Drivers.Virtio;
using Xunit;

namespace Molt.Tests.Virtio;

/// <summary>
/// The kernel's split-virtqueue bookkeeping (kernel/Drivers/Virtio/SplitVirtqueue.cs)
/// against a simulated device: index arithmetic across the 16-bit wrap,
/// out-of-order completion, a full ring, a lying device, interrupt
/// suppression and the re-check that guards against a lost notification.
/// </summary>
public sealed class SplitVirtqueueTests
{
    private static byte[] Payload(int n, int length)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(n * 31 + i);
        BitConverter.TryWriteBytes(b, n);
        return b;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(65536)]
    public void Sizes_must_be_powers_of_two_up_to_32768(int size)
    {
        Assert.False(SplitVirtqueue.IsValidSize(size));
        Assert.Throws<ArgumentException>(() => new SimulatedVirtioDevice(Math.Max(size, 1) == 65536 ? 65536 : size).Dispose());
    }

    [Fact]
    public void Layout_sizes_follow_the_specification()
    {
        Assert.Equal(16 * 256, SplitVirtqueue.DescriptorTableBytes(256));
        Assert.Equal(6 + 2 * 256, SplitVirtqueue.AvailRingBytes(256));
        Assert.Equal(6 + 8 * 256, SplitVirtqueue.UsedRingBytes(256));
    }

    [Fact]
    public void Full_ring_refuses_and_recycles()
    {
        using var d = new SimulatedVirtioDevice(8);
        var ids = new HashSet<int>();
        for (int i = 0; i < 8; i++) ids.Add(d.DriverSend(Payload(i, 64)));
        Assert.Equal(8, ids.Count);
        Assert.DoesNotContain(-1, ids);
        Assert.Equal(-1, d.DriverSend(Payload(9, 64)));
        Assert.Equal(0, d.Queue.FreeCount);
        Assert.Equal(8, d.Fetch());
        d.Complete(d.Taken[3]);
        Assert.Equal(UsedResult.Taken, d.Queue.TryTakeUsed(out int id, out _));
        Assert.True(d.Queue.Release(id));
        Assert.Equal(id, d.DriverSend(Payload(10, 64)));
        d.CheckInvariant();
    }

    /// <summary>Thousands of frames through an 8-entry ring whose counters start just below 65536, completed in a shuffled order: each id comes back once, with its own bytes.</summary>
    [Theory]
    [InlineData(8, 65530, 1)]
    [InlineData(256, 65000, 2)]
    [InlineData(16, 0, 3)]
    public void Counters_wrap_and_out_of_order_completion_keeps_ids_apart(int size, int first, int seed)
    {
        using var d = new SimulatedVirtioDevice(size, (ushort)first);
        var rng = new Random(seed);
        var sentFor = new Dictionary<int, int>(); // id -> frame number
        int next = 0, done = 0;
        const int Frames = 5000;
        while (done < Frames)
        {
            while (next < Frames)
            {
                int length = 60 + (next * 97) % (1514 - 60 + 1);
                int id = d.DriverSend(Payload(next, length));
                if (id < 0) break;
                Assert.False(sentFor.ContainsKey(id), $"descriptor {id} handed out while still in flight");
                sentFor[id] = next++;
            }
            d.Fetch();
            // The device finishes a random subset, in a random order, checking each buffer's bytes.
            var batch = d.Taken.OrderBy(_ => rng.Next()).Take(rng.Next(1, d.Taken.Count + 1)).ToList();
            foreach (int id in batch)
            {
                int n = sentFor[id];
                var bytes = d.Read(id);
                Assert.Equal(60 + (n * 97) % (1514 - 60 + 1), bytes.Length);
                Assert.Equal(n, BitConverter.ToInt32(bytes));
                d.Complete(id);
            }
            UsedResult r;
            while ((r = d.Queue.TryTakeUsed(out int id, out _)) != UsedResult.Empty)
            {
                Assert.Equal(UsedResult.Taken, r);
                Assert.True(sentFor.Remove(id));
                Assert.True(d.Queue.Release(id));
                done++;
            }
            d.CheckInvariant();
        }
        Assert.Equal(0UL, d.Queue.BadDescriptors);
        Assert.Equal(size, d.Queue.FreeCount);
        Assert.Equal((ushort)(first + Frames), d.Queue.AvailIndex);
        Assert.Equal((ushort)(first + Frames), d.Queue.LastUsedIndex);
    }

    /// <summary>Receive: every buffer posted once, re-posted under the same id after each frame, across many ring wraps.</summary>
    [Fact]
    public void Receive_buffers_repost_across_many_wraps()
    {
        using var d = new SimulatedVirtioDevice(16, 65500);
        int id;
        while ((id = d.Queue.TakeFree()) >= 0) Assert.True(d.Queue.Submit(id, d.BufferAddress(id), SimulatedVirtioDevice.BufferSize, true));
        d.Queue.Publish();
        int received = 0;
        for (int round = 0; round < 200; round++)
        {
            d.Fetch();
            int n = 1 + round % 16;
            foreach (int slot in d.Taken.Take(n).ToList()) d.Receive(slot, Payload(received + slot, 100));
            while (d.Queue.TryTakeUsed(out int got, out uint length) == UsedResult.Taken)
            {
                Assert.Equal(100u, length);
                Assert.True(d.Queue.Submit(got, d.BufferAddress(got), SimulatedVirtioDevice.BufferSize, true));
                received++;
            }
            d.Queue.Publish();
            d.CheckInvariant();
            Assert.Equal(16, d.Queue.DeviceCount);
        }
        Assert.True(received > 16 * 100, "the ring wrapped many times");
    }

    [Fact]
    public void A_lying_device_cannot_mix_up_descriptors()
    {
        using var d = new SimulatedVirtioDevice(8);
        int a = d.DriverSend(Payload(1, 64));
        int b = d.DriverSend(Payload(2, 64));
        d.Fetch();
        d.Complete(99);           // out of range
        d.Complete(a);
        d.Complete(a);            // twice
        d.Complete(5);            // never submitted (free)
        Assert.Equal(UsedResult.BadDescriptor, d.Queue.TryTakeUsed(out _, out _));
        Assert.Equal(UsedResult.Taken, d.Queue.TryTakeUsed(out int got, out _));
        Assert.Equal(a, got);
        Assert.Equal(UsedResult.BadDescriptor, d.Queue.TryTakeUsed(out _, out _)); // a is Held now, not the device's
        Assert.Equal(UsedResult.BadDescriptor, d.Queue.TryTakeUsed(out _, out _));
        Assert.Equal(UsedResult.Empty, d.Queue.TryTakeUsed(out _, out _));
        Assert.Equal(3UL, d.Queue.BadDescriptors);
        Assert.Equal(SplitVirtqueue.StateDevice, d.Queue.StateOf(b));
        Assert.True(d.Queue.Release(a));
        Assert.False(d.Queue.Release(a));                  // not held any more
        Assert.False(d.Queue.Release(b));                  // the device's
        Assert.False(d.Queue.Submit(b, 0, 1, false));      // the device's
        Assert.False(d.Queue.Submit(7, 0, 1, false));      // free, not taken
        Assert.False(d.Queue.Submit(-1, 0, 1, false));
        d.CheckInvariant();
    }

    [Fact]
    public void Suppressed_interrupts_and_the_recheck_after_reenabling()
    {
        using var d = new SimulatedVirtioDevice(8);
        int id;
        while ((id = d.Queue.TakeFree()) >= 0) d.Queue.Submit(id, d.BufferAddress(id), SimulatedVirtioDevice.BufferSize, true);
        d.Queue.Publish();
        d.Fetch();
        // The handler turned interrupts off; a frame lands meanwhile: no interrupt.
        d.Queue.SetInterrupts(false);
        Assert.False(d.Queue.InterruptsEnabled);
        d.Receive(d.Taken[0], Payload(1, 60));
        Assert.Equal(0, d.Interrupts);
        // The waiter turns them back on: no interrupt will come for that frame,
        // so it must look at the ring again before sleeping (VirtioNet.WaitForFrames).
        d.Queue.SetInterrupts(true);
        Assert.True(d.Queue.HasUsed, "the re-check sees the frame that arrived while interrupts were off");
        Assert.Equal(1, d.Queue.UsedPending);
        d.Receive(d.Taken[0], Payload(2, 60));
        Assert.Equal(1, d.Interrupts);
    }

    [Fact]
    public void Notification_follows_the_devices_flag()
    {
        using var d = new SimulatedVirtioDevice(8);
        Assert.True(d.Queue.NeedsNotify);
        d.SetNoNotify(true);
        Assert.False(d.Queue.NeedsNotify);
        d.SetNoNotify(false);
        Assert.True(d.Queue.NeedsNotify);
    }

    /// <summary>Random operations from both sides (fixed seed); the invariant holds after each, and nothing is ever handed out twice.</summary>
    [Fact]
    public void Random_operations_keep_the_invariant()
    {
        using var d = new SimulatedVirtioDevice(32, 65400);
        var rng = new Random(77);
        var held = new List<int>();
        for (int step = 0; step < 100_000; step++)
        {
            switch (rng.Next(6))
            {
                case 0:
                    int id = d.Queue.TakeFree();
                    if (id >= 0) { Assert.DoesNotContain(id, held); held.Add(id); }
                    else Assert.Equal(0, d.Queue.FreeCount);
                    break;
                case 1:
                    if (held.Count > 0) { int i = rng.Next(held.Count); Assert.True(d.Queue.Submit(held[i], d.BufferAddress(held[i]), 64, false)); held.RemoveAt(i); }
                    break;
                case 2:
                    d.Queue.Publish(); d.Fetch();
                    break;
                case 3:
                    if (d.Taken.Count > 0) d.Complete(d.Taken[rng.Next(d.Taken.Count)]);
                    break;
                case 4:
                    if (d.Queue.TryTakeUsed(out int got, out _) == UsedResult.Taken) held.Add(got);
                    break;
                default:
                    if (held.Count > 0) { int i = rng.Next(held.Count); Assert.True(d.Queue.Release(held[i])); held.RemoveAt(i); }
                    break;
            }
            if (step % 97 == 0) d.CheckInvariant();
        }
        d.CheckInvariant();
        Assert.Equal(0UL, d.Queue.BadDescriptors);
    }
}
