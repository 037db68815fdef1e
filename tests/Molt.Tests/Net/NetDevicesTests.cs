using Molt.Net;
using Xunit;

namespace Molt.Tests.Net;

/// <summary>The registry drivers fill (kernel/Net/NetDevices.cs): order, selection by net.dev, bounds.</summary>
[Collection("NetDevices registry")] // static state: no parallel runs of these
public sealed class NetDevicesTests
{
    private sealed class FakeDevice(byte last) : INetDevice
    {
        public void GetMacAddress(Span<byte> mac6) { mac6.Clear(); mac6[5] = last; }
        public int Mtu => 1500;
        public bool Transmit(ReadOnlySpan<byte> frame) => true;
        public int Poll(IFrameSink sink, int budget) => 0;
        public void WaitForFrames(long timeoutMicroseconds) { }
    }

    [Fact]
    public void Registration_order_selection_and_bounds()
    {
        int before = NetDevices.Count;
        var a = new FakeDevice(1);
        var b = new FakeDevice(2);
        Assert.Equal(-1, NetDevices.Register(null!));
        int ia = NetDevices.Register(a), ib = NetDevices.Register(b);
        Assert.Equal(before, ia);
        Assert.Equal(before + 1, ib);
        Assert.Same(b, NetDevices.Get(ib));
        Assert.Null(NetDevices.Get(-1));
        Assert.Null(NetDevices.Get(NetDevices.Count));
        Assert.True(NetDevices.Select(ib));
        Assert.Same(b, NetDevices.First);
        Assert.False(NetDevices.Select(NetDevices.Count));
        Assert.Same(b, NetDevices.First); // a refused selection changes nothing
        Assert.True(NetDevices.Select(ia));
        Assert.Same(a, NetDevices.First);
        while (NetDevices.Count < NetDevices.Max) NetDevices.Register(new FakeDevice(9));
        Assert.Equal(-1, NetDevices.Register(new FakeDevice(10)));
        Assert.Equal(NetDevices.Max, NetDevices.Count);
    }
}
