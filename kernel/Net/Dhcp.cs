#nullable disable
using System;
using Molt.Net.Wire;

namespace Molt.Net
{
    public enum DhcpState { Off, Selecting, Requesting, Bound }

    /// <summary>
    /// DHCP client (RFC 2131), the four-message exchange:
    /// 1. DISCOVER, broadcast, retried with doubling intervals (4 s, 8 s, ... 64 s).
    /// 2. The first OFFER with our xid and MAC is taken: its address and server id.
    /// 3. REQUEST, broadcast, naming that address and server.
    /// 4. ACK binds: address, mask (option 1), router (3; when absent: a configured gw=, else the server), lease (51). A NAK restarts at 1.
    /// At half the lease (T1) the client starts again at 1 (simple renewal).
    /// Replies that are not ours or are malformed are dropped and counted (DropDhcp).
    /// </summary>
    public sealed class DhcpClient
    {
        public const ushort ClientPort = 68, ServerPort = 67;
        private const uint Cookie = 0x63825363;
        public const byte Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6;

        private readonly NetStack _net;
        public DhcpState State;
        public uint Xid;
        public uint OfferedAddress, ServerId;
        public uint Mask, Router;
        public long LeaseSeconds;
        private long _nextSendAt, _interval, _renewAt;

        public DhcpClient(NetStack net) { _net = net; }

        public void Start(long now, uint xid)
        {
            Xid = xid; State = DhcpState.Selecting; _interval = 4_000_000;
            SendDiscover(); _nextSendAt = now + _interval;
        }

        public long OnTimer(long now)
        {
            if (State == DhcpState.Off) return 0;
            if (State == DhcpState.Bound)
            {
                if (_renewAt != 0 && now >= _renewAt) { _renewAt = 0; Start(now, Xid + 1); }
                return _renewAt;
            }
            if (now >= _nextSendAt)
            {
                if (_interval < 64_000_000) _interval *= 2;
                if (State == DhcpState.Selecting) SendDiscover(); else SendRequest();
                _nextSendAt = now + _interval;
            }
            return _nextSendAt;
        }

        private void SendDiscover() => Send(Discover);
        private void SendRequest() => Send(Request);

        private void Send(byte type)
        {
            Span<byte> u = _net.IpPayloadBuffer;
            Span<byte> m = u.Slice(Udp.HeaderLength);
            int len = 240;
            m.Slice(0, len).Clear();
            m[0] = 1; m[1] = 1; m[2] = 6; m[3] = 0;
            Be.Put32(m, 4, Xid);
            Be.Put16(m, 10, 0x8000); // answer by broadcast: we have no address yet
            _net.CopyMac(m.Slice(28, 6));
            Be.Put32(m, 236, Cookie);
            m[len++] = 53; m[len++] = 1; m[len++] = type;
            if (type == Request)
            {
                m[len++] = 50; m[len++] = 4; Be.Put32(m, len, OfferedAddress); len += 4;
                m[len++] = 54; m[len++] = 4; Be.Put32(m, len, ServerId); len += 4;
            }
            m[len++] = 55; m[len++] = 3; m[len++] = 1; m[len++] = 3; m[len++] = 51;
            m[len++] = 255;
            while (len < 300) m[len++] = 0; // BOOTP minimum size
            Udp.Write(u, ClientPort, ServerPort, len, 0, Ip.Broadcast);
            _net.SendIpv4From(0, Ip.Broadcast, Ipv4.ProtoUdp, Udp.HeaderLength + len);
        }

        /// <summary>A UDP payload that arrived on port 68.</summary>
        public NetCounter OnMessage(ReadOnlySpan<byte> m, long now)
        {
            if (State == DhcpState.Off || State == DhcpState.Bound) return NetCounter.DropDhcp;
            if (m.Length < 240 || m[0] != 2 || Be.U32(m, 4) != Xid || Be.U32(m, 236) != Cookie) return NetCounter.DropDhcp;
            Span<byte> mac = stackalloc byte[6];
            _net.CopyMac(mac);
            if (!Be.Equal(m.Slice(28, 6), mac)) return NetCounter.DropDhcp;
            byte type = 0; uint mask = 0, router = 0, server = 0; long lease = 0;
            int i = 240;
            while (i < m.Length)
            {
                byte opt = m[i];
                if (opt == 255) break;
                if (opt == 0) { i++; continue; }
                if (i + 1 >= m.Length) return NetCounter.DropDhcp;
                int len = m[i + 1];
                if (i + 2 + len > m.Length) return NetCounter.DropDhcp;
                ReadOnlySpan<byte> v = m.Slice(i + 2, len);
                if (opt == 53 && len == 1) type = v[0];
                else if (opt == 1 && len == 4) mask = Be.U32(v, 0);
                else if (opt == 3 && len >= 4) router = Be.U32(v, 0);
                else if (opt == 54 && len == 4) server = Be.U32(v, 0);
                else if (opt == 51 && len == 4) lease = Be.U32(v, 0);
                i += 2 + len;
            }
            uint yiaddr = Be.U32(m, 16);
            if (State == DhcpState.Selecting && type == Offer && yiaddr != 0)
            {
                OfferedAddress = yiaddr; ServerId = server;
                State = DhcpState.Requesting; _interval = 4_000_000;
                SendRequest(); _nextSendAt = now + _interval;
                return NetCounter.None;
            }
            if (State == DhcpState.Requesting && type == Ack && yiaddr != 0)
            {
                // No router option (QEMU's restricted user network leaves it out): keep a
                // configured gw=, else use the server, which is the gateway on QEMU's network.
                if (router == 0) router = _net.Gateway != 0 ? _net.Gateway : (server != 0 ? server : ServerId);
                Mask = mask != 0 ? mask : 0xFFFFFF00; Router = router; LeaseSeconds = lease;
                OfferedAddress = yiaddr;
                State = DhcpState.Bound;
                _renewAt = lease > 0 ? now + lease * 500_000 : 0;
                _net.Configure(yiaddr, Mask, router);
                return NetCounter.DhcpBound;
            }
            if (State == DhcpState.Requesting && type == Nak) { Start(now, Xid + 1); return NetCounter.None; }
            return NetCounter.DropDhcp;
        }
    }
}
