using System;

namespace Molt.Net
{
    /// <summary>
    /// A network interface card as the stack sees it. The driver owns its
    /// buffers; the stack never keeps a span after a call returns.
    /// Threading: Transmit may be called from any CPU (the driver serializes);
    /// Poll is called by the stack's network thread only.
    /// </summary>
    public interface INetDevice
    {
        /// <summary>The 6-byte MAC address.</summary>
        void GetMacAddress(Span<byte> mac6);

        /// <summary>Largest Ethernet payload (1500 for virtio-net under QEMU).</summary>
        int Mtu { get; }

        /// <summary>Copies one Ethernet frame (header included, no FCS) into a TX buffer and
        /// queues it; returns false (frame not taken, counted) when the TX ring is full.</summary>
        bool Transmit(ReadOnlySpan<byte> frame);

        /// <summary>Hands each received frame to <paramref name="sink"/> (at most
        /// <paramref name="budget"/> frames), recycles the RX buffers, and returns how many.</summary>
        int Poll(IFrameSink sink, int budget);

        /// <summary>Blocks the calling thread until a frame may be waiting or
        /// <paramref name="timeoutMicroseconds"/> passes (interrupt-driven; spurious wake-ups allowed).</summary>
        void WaitForFrames(long timeoutMicroseconds);
    }

    /// <summary>Receives frames from a device's Poll; the span is valid only during the call.</summary>
    public interface IFrameSink
    {
        void OnFrame(ReadOnlySpan<byte> frame);
    }
}
