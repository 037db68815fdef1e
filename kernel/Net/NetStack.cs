#nullable disable
using System;
using Molt.Net.Tcp;
using Molt.Net.Wire;

namespace Molt.Net
{
    /// <summary>
    /// One network stack instance over one device: Ethernet, ARP, IPv4,
    /// ICMP echo, UDP (DHCP), TCP. Runs on the host (tests) and in the kernel
    /// (<c>NetStack.Kernel.cs</c> adds the network thread).
    ///
    /// Threading: one lock guards every piece of state. <see cref="PollOnce"/>
    /// (the network thread) takes it around the device poll and the timers;
    /// socket calls take it around each step and never block while holding
    /// it; blocking calls wait between steps with <see cref="NetPlatform.WaitBriefly"/>.
    ///
    /// Memory: every buffer is allocated by the constructor, sized by the
    /// config, and freed by <see cref="Free"/>; the paths per frame and per
    /// request allocate nothing.
    /// </summary>
    public sealed partial class NetStack : IFrameSink
    {
        private readonly INetDevice _device;
        private readonly INetClock _clock;
        private readonly NetLock _lock = new NetLock();
        private NetConfig _config;
        public readonly NetCounters Counters = new NetCounters();
        private readonly byte[] _mac = new byte[6];
        private readonly byte[] _tx;          // one frame being built (under the lock)
        private readonly ArpCache _arp;
        private readonly TcpLayer _tcp;
        private readonly DhcpClient _dhcp;
        private ushort _ipId;
        private readonly int _mtu;

        // Frames waiting for an ARP answer: a few slots, the oldest replaced.
        private const int PendingSlots = 4;
        private readonly byte[] _pending;
        private readonly int[] _pendingLength;
        private readonly uint[] _pendingHop;
        private readonly long[] _pendingAt;
        private uint _lastArpIp;
        private long _lastArpAt;

        // Echo replies seen (for pinging the gateway).
        public ushort LastEchoId, LastEchoSeq;
        public uint LastEchoFrom;

        public NetStack(INetDevice device, in NetConfig config, INetClock clock)
        {
            _device = device; _clock = clock; _config = config;
            device.GetMacAddress(_mac);
            _mtu = device.Mtu < 576 ? 576 : device.Mtu > 9000 ? 9000 : device.Mtu;
            _tx = new byte[Ethernet.HeaderLength + _mtu];
            _arp = new ArpCache(config.ArpCacheSize > 0 ? config.ArpCacheSize : 16, config.ArpTimeoutMicroseconds);
            _pending = new byte[PendingSlots * (Ethernet.HeaderLength + _mtu)];
            _pendingLength = new int[PendingSlots]; _pendingHop = new uint[PendingSlots]; _pendingAt = new long[PendingSlots];
            _tcp = new TcpLayer(this, config, Counters);
            _dhcp = new DhcpClient(this);
            if (config.UseDhcp && config.Address == 0) _dhcp.Start(Now, config.Seed ^ 0x5A5A1234);
        }

        /// <summary>Frees every buffer (the stack must not be used afterwards; in the kernel its thread has stopped).</summary>
        public void Free()
        {
            _tcp.Free(); _arp.Free();
            NetPlatform.Free(_tx); NetPlatform.Free(_pending); NetPlatform.Free(_pendingLength);
            NetPlatform.Free(_pendingHop); NetPlatform.Free(_pendingAt); NetPlatform.Free(_mac);
            NetPlatform.Free(_tcp); NetPlatform.Free(_arp); NetPlatform.Free(_dhcp);
            NetPlatform.Free(Counters.Values); NetPlatform.Free(Counters);
#if !MOLT_HOST
            _lock.Free();
            FreeWaits();
#endif
            NetPlatform.Free(_lock);
        }

        public long Now => _clock.NowMicroseconds;
        public int Mtu => _mtu;
        public uint Address => _config.Address;
        public uint Netmask => _config.Netmask;
        public uint Gateway => _config.Gateway;
        public NetConfig Config => _config;
        public DhcpState DhcpState => _dhcp.State;
        public TcpLayer Tcp => _tcp;
        public ArpCache ArpTable => _arp;
        public void CopyMac(Span<byte> dst) => new ReadOnlySpan<byte>(_mac).CopyTo(dst);

        /// <summary>Where an upper layer builds its packet: the TX frame after the Ethernet and IPv4 headers.</summary>
        public Span<byte> IpPayloadBuffer => new Span<byte>(_tx, Ethernet.HeaderLength + Ipv4.HeaderLength, _mtu - Ipv4.HeaderLength);

        internal void Configure(uint address, uint mask, uint gateway)
        {
            _config.Address = address; _config.Netmask = mask; _config.Gateway = gateway;
            Counters.Add(NetCounter.DhcpBound);
        }

        public void Lock() => _lock.Enter();
        public void Unlock() => _lock.Exit();

        /// <summary>One round of the network loop: take frames, run timers. Returns the next timer deadline (0: none).</summary>
        public long PollOnce(int budget = 64)
        {
            _lock.Enter();
            _device.Poll(this, budget);
            long next = RunTimersLocked();
            _lock.Exit();
            return next;
        }

        private long RunTimersLocked()
        {
            long now = Now;
            long a = _tcp.OnTimers(now);
            long b = _dhcp.OnTimer(now);
            return a == 0 ? b : b == 0 || a < b ? a : b;
        }

        // ------------------------------------------------------------------ receive

        /// <summary>Called by the device's Poll under the lock. Every frame is accepted or dropped with one counted reason.</summary>
        public void OnFrame(ReadOnlySpan<byte> frame)
        {
            Counters.Add(NetCounter.RxFrames);
            NetCounter r = Receive(frame);
            if (r != NetCounter.None) { Counters.Add(r); Counters.Add(NetCounter.RxDropped); }
            else Counters.Add(NetCounter.RxAccepted);
        }

        private NetCounter Receive(ReadOnlySpan<byte> f)
        {
            if (f.Length < Ethernet.HeaderLength) return NetCounter.DropTruncated;
            ReadOnlySpan<byte> dst = Ethernet.Destination(f);
            if (!Ethernet.IsBroadcast(dst) && !Be.Equal(dst, _mac)) return NetCounter.DropNotForUs;
            ushort type = Ethernet.Type(f);
            ReadOnlySpan<byte> p = f.Slice(Ethernet.HeaderLength);
            if (type == Ethernet.TypeArp) return ReceiveArp(p);
            if (type == Ethernet.TypeIpv4) return ReceiveIpv4(p, Ethernet.Source(f));
            return NetCounter.DropUnknownEtherType;
        }

        private NetCounter ReceiveArp(ReadOnlySpan<byte> p)
        {
            NetCounter v = Arp.Validate(p);
            if (v != NetCounter.None) return v;
            uint spa = Arp.SenderIp(p), tpa = Arp.TargetIp(p);
            if (_config.Address == 0 || tpa != _config.Address)
            {
                // Not about us; still refresh an entry we already have (RFC 826 merge flag).
                Span<byte> tmp = stackalloc byte[6];
                if (_arp.TryGet(spa, Now, tmp)) _arp.Put(spa, Arp.SenderMac(p), Now);
                return NetCounter.DropNotForUs;
            }
            if (spa == 0 || spa == 0xFFFFFFFF || (Arp.SenderMac(p)[0] & 1) != 0) return NetCounter.DropSourceAddress;
            _arp.Put(spa, Arp.SenderMac(p), Now);
            if (Arp.Op(p) == Arp.OpRequest)
            {
                Span<byte> f = new Span<byte>(_tx);
                Ethernet.Write(f, Arp.SenderMac(p), _mac, Ethernet.TypeArp);
                Arp.Write(f.Slice(Ethernet.HeaderLength), Arp.OpReply, _mac, _config.Address, Arp.SenderMac(p), spa);
                Transmit(f.Slice(0, Ethernet.HeaderLength + Arp.Length));
                Counters.Add(NetCounter.ArpRepliesSent);
            }
            FlushPending(spa);
            return NetCounter.None;
        }

        private NetCounter ReceiveIpv4(ReadOnlySpan<byte> p, ReadOnlySpan<byte> srcMac)
        {
            NetCounter v = Ipv4.Validate(p, out int hl, out int total);
            if (v != NetCounter.None) return v;
            uint src = Ipv4.Source(p), dst = Ipv4.Destination(p);
            bool broadcast = dst == Ip.Broadcast || (_config.Address != 0 && _config.Netmask != 0xFFFFFFFF && dst == (_config.Address | ~_config.Netmask));
            if (_config.Address != 0 && dst != _config.Address && !broadcast) return NetCounter.DropNotForUs;
            if (src == Ip.Broadcast || (src >> 28) == 0xE || (src >> 24) == 127) return NetCounter.DropSourceAddress;
            ReadOnlySpan<byte> payload = p.Slice(hl, total - hl);
            switch (Ipv4.Protocol(p))
            {
                case Ipv4.ProtoIcmp: return broadcast ? NetCounter.DropNotForUs : ReceiveIcmp(payload, src);
                case Ipv4.ProtoUdp: return ReceiveUdp(payload, src, dst);
                case Ipv4.ProtoTcp:
                    {
                        if (broadcast || _config.Address == 0) return NetCounter.DropNotForUs;
                        if (src == 0) return NetCounter.DropSourceAddress;
                        NetCounter t = TcpHeader.Parse(payload, src, dst, out TcpSegment seg);
                        if (t != NetCounter.None) return t;
                        _tcp.OnSegment(ref seg);
                        return NetCounter.None;
                    }
                default: return NetCounter.DropUnknownProtocol;
            }
        }

        private NetCounter ReceiveIcmp(ReadOnlySpan<byte> p, uint src)
        {
            NetCounter v = Icmp.Validate(p);
            if (v != NetCounter.None) return v;
            if (p[0] == Icmp.EchoRequest && p[1] == 0)
            {
                if (p.Length > _mtu - Ipv4.HeaderLength) return NetCounter.DropBadLength;
                Span<byte> o = IpPayloadBuffer;
                Icmp.WriteEcho(o, Icmp.EchoReply, Be.U16(p, 4), Be.U16(p, 6), p.Slice(Icmp.HeaderLength));
                SendIpv4(src, Ipv4.ProtoIcmp, p.Length);
                Counters.Add(NetCounter.IcmpEchoReplied);
                return NetCounter.None;
            }
            if (p[0] == Icmp.EchoReply)
            {
                LastEchoId = Be.U16(p, 4); LastEchoSeq = Be.U16(p, 6); LastEchoFrom = src;
                Counters.Add(NetCounter.IcmpEchoRepliesReceived);
                return NetCounter.None;
            }
            return NetCounter.DropIcmpType;
        }

        private NetCounter ReceiveUdp(ReadOnlySpan<byte> p, uint src, uint dst)
        {
            NetCounter v = Udp.Validate(p, src, dst, out int len);
            if (v != NetCounter.None) return v;
            if (Udp.DestinationPort(p) == DhcpClient.ClientPort && Udp.SourcePort(p) == DhcpClient.ServerPort)
            {
                NetCounter r = _dhcp.OnMessage(p.Slice(Udp.HeaderLength, len - Udp.HeaderLength), Now);
                return r == NetCounter.DhcpBound ? NetCounter.None : r;
            }
            return NetCounter.DropUdpNoListener;
        }

        // ------------------------------------------------------------------ transmit

        /// <summary>Sends an IPv4 packet whose payload the caller built in <see cref="IpPayloadBuffer"/>.</summary>
        public void SendIpv4(uint dst, byte protocol, int payloadLength) => SendIpv4From(_config.Address, dst, protocol, payloadLength);

        public void SendIpv4From(uint src, uint dst, byte protocol, int payloadLength)
        {
            Span<byte> f = new Span<byte>(_tx);
            Ipv4.Write(f.Slice(Ethernet.HeaderLength), payloadLength, _ipId++, protocol, src, dst);
            int len = Ethernet.HeaderLength + Ipv4.HeaderLength + payloadLength;
            Span<byte> mac = stackalloc byte[6];
            if (dst == Ip.Broadcast || (_config.Address != 0 && dst == (_config.Address | ~_config.Netmask)))
            {
                mac.Fill(0xFF);
            }
            else
            {
                uint hop = (dst & _config.Netmask) == (_config.Address & _config.Netmask) || _config.Gateway == 0 ? dst : _config.Gateway;
                if (!_arp.TryGet(hop, Now, mac))
                {
                    QueuePending(f.Slice(0, len), hop);
                    return;
                }
            }
            Ethernet.Write(f, mac, _mac, Ethernet.TypeIpv4);
            Transmit(f.Slice(0, len));
        }

        private void Transmit(ReadOnlySpan<byte> frame)
        {
            if (_device.Transmit(frame)) Counters.Add(NetCounter.TxFrames);
            else Counters.Add(NetCounter.TxDeviceFull);
        }

        private void QueuePending(ReadOnlySpan<byte> frame, uint hop)
        {
            long now = Now;
            int slot = 0;
            for (int i = 0; i < PendingSlots; i++)
            {
                if (_pendingLength[i] == 0) { slot = i; break; }
                if (_pendingAt[i] < _pendingAt[slot]) slot = i;
            }
            if (_pendingLength[slot] != 0) Counters.Add(NetCounter.ArpPendingDropped);
            int size = Ethernet.HeaderLength + _mtu;
            frame.CopyTo(new Span<byte>(_pending, slot * size, size));
            _pendingLength[slot] = frame.Length; _pendingHop[slot] = hop; _pendingAt[slot] = now;
            if (hop != _lastArpIp || now - _lastArpAt > 100_000)
            {
                _lastArpIp = hop; _lastArpAt = now;
                Span<byte> f = new Span<byte>(_tx);
                Span<byte> bcast = stackalloc byte[6]; bcast.Fill(0xFF);
                Span<byte> zero = stackalloc byte[6]; zero.Clear();
                Ethernet.Write(f, bcast, _mac, Ethernet.TypeArp);
                Arp.Write(f.Slice(Ethernet.HeaderLength), Arp.OpRequest, _mac, _config.Address, zero, hop);
                Transmit(f.Slice(0, Ethernet.HeaderLength + Arp.Length));
                Counters.Add(NetCounter.ArpRequestsSent);
            }
        }

        private void FlushPending(uint ip)
        {
            Span<byte> mac = stackalloc byte[6];
            if (!_arp.TryGet(ip, Now, mac)) return;
            int size = Ethernet.HeaderLength + _mtu;
            for (int i = 0; i < PendingSlots; i++)
            {
                if (_pendingLength[i] == 0 || _pendingHop[i] != ip) continue;
                Span<byte> f = new Span<byte>(_pending, i * size, _pendingLength[i]);
                Ethernet.Write(f, mac, _mac, Ethernet.TypeIpv4);
                Transmit(f);
                _pendingLength[i] = 0;
            }
        }

        /// <summary>Sends an ICMP echo request (for pinging the gateway); the reply shows in LastEcho*.</summary>
        public void Ping(uint dst, ushort id, ushort seq)
        {
            _lock.Enter();
            Span<byte> o = IpPayloadBuffer;
            Span<byte> data = stackalloc byte[8];
            for (int i = 0; i < 8; i++) data[i] = (byte)('a' + i);
            Icmp.WriteEcho(o, Icmp.EchoRequest, id, seq, data);
            SendIpv4(dst, Ipv4.ProtoIcmp, Icmp.HeaderLength + 8);
            _lock.Exit();
        }
    }
}
