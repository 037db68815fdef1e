#nullable disable
using System;

namespace Molt.Net.Wire
{
    /// <summary>Ethernet II header (14 bytes). EtherTypes the stack understands.</summary>
    public static class Ethernet
    {
        public const int HeaderLength = 14;
        public const ushort TypeIpv4 = 0x0800, TypeArp = 0x0806;
        public static ReadOnlySpan<byte> Destination(ReadOnlySpan<byte> f) => f.Slice(0, 6);
        public static ReadOnlySpan<byte> Source(ReadOnlySpan<byte> f) => f.Slice(6, 6);
        public static ushort Type(ReadOnlySpan<byte> f) => Be.U16(f, 12);

        public static void Write(Span<byte> f, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> src, ushort type)
        {
            dst.CopyTo(f); src.CopyTo(f.Slice(6)); Be.Put16(f, 12, type);
        }

        public static bool IsBroadcast(ReadOnlySpan<byte> mac)
        {
            for (int i = 0; i < 6; i++) if (mac[i] != 0xFF) return false;
            return true;
        }
    }

    /// <summary>ARP for IPv4 over Ethernet (28 bytes).</summary>
    public static class Arp
    {
        public const int Length = 28;
        public const ushort OpRequest = 1, OpReply = 2;

        /// <summary>Checks hardware/protocol types and lengths; returns the drop reason or None.</summary>
        public static NetCounter Validate(ReadOnlySpan<byte> p)
        {
            if (p.Length < Length) return NetCounter.DropTruncated;
            if (Be.U16(p, 0) != 1 || Be.U16(p, 2) != Ethernet.TypeIpv4 || p[4] != 6 || p[5] != 4) return NetCounter.DropArpMalformed;
            ushort op = Be.U16(p, 6);
            if (op != OpRequest && op != OpReply) return NetCounter.DropArpMalformed;
            return NetCounter.None;
        }

        public static ushort Op(ReadOnlySpan<byte> p) => Be.U16(p, 6);
        public static ReadOnlySpan<byte> SenderMac(ReadOnlySpan<byte> p) => p.Slice(8, 6);
        public static uint SenderIp(ReadOnlySpan<byte> p) => Be.U32(p, 14);
        public static uint TargetIp(ReadOnlySpan<byte> p) => Be.U32(p, 24);

        public static void Write(Span<byte> p, ushort op, ReadOnlySpan<byte> senderMac, uint senderIp, ReadOnlySpan<byte> targetMac, uint targetIp)
        {
            Be.Put16(p, 0, 1); Be.Put16(p, 2, Ethernet.TypeIpv4); p[4] = 6; p[5] = 4; Be.Put16(p, 6, op);
            senderMac.CopyTo(p.Slice(8)); Be.Put32(p, 14, senderIp);
            targetMac.CopyTo(p.Slice(18)); Be.Put32(p, 24, targetIp);
        }
    }

    /// <summary>IPv4 header (RFC 791). Options are accepted and skipped; fragments are dropped.</summary>
    public static class Ipv4
    {
        public const int HeaderLength = 20;
        public const byte ProtoIcmp = 1, ProtoTcp = 6, ProtoUdp = 17;

        /// <summary>
        /// Validates a packet; on success <paramref name="headerLength"/> and
        /// <paramref name="totalLength"/> describe it (Ethernet padding beyond the total is ignored).
        /// </summary>
        public static NetCounter Validate(ReadOnlySpan<byte> p, out int headerLength, out int totalLength)
        {
            headerLength = 0; totalLength = 0;
            if (p.Length < HeaderLength) return NetCounter.DropTruncated;
            if ((p[0] >> 4) != 4) return NetCounter.DropIpVersion;
            int ihl = (p[0] & 0xF) * 4;
            if (ihl < HeaderLength) return NetCounter.DropBadLength;
            int total = Be.U16(p, 2);
            if (total < ihl || ihl > p.Length) return NetCounter.DropBadLength;
            if (total > p.Length) return NetCounter.DropTruncated;
            if (!Checksum.Verify(Checksum.Add(0, p.Slice(0, ihl)))) return NetCounter.DropBadChecksum;
            int frag = Be.U16(p, 6);
            if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) return NetCounter.DropFragment;
            headerLength = ihl; totalLength = total;
            return NetCounter.None;
        }

        public static byte Protocol(ReadOnlySpan<byte> p) => p[9];
        public static uint Source(ReadOnlySpan<byte> p) => Be.U32(p, 12);
        public static uint Destination(ReadOnlySpan<byte> p) => Be.U32(p, 16);

        /// <summary>Writes a 20-byte header (DF set, TTL 64) with its checksum.</summary>
        public static void Write(Span<byte> p, int payloadLength, ushort id, byte protocol, uint src, uint dst)
        {
            p[0] = 0x45; p[1] = 0; Be.Put16(p, 2, HeaderLength + payloadLength); Be.Put16(p, 4, id);
            Be.Put16(p, 6, 0x4000); p[8] = 64; p[9] = protocol; Be.Put16(p, 10, 0);
            Be.Put32(p, 12, src); Be.Put32(p, 16, dst);
            Be.Put16(p, 10, Checksum.Finish(Checksum.Add(0, p.Slice(0, HeaderLength))));
        }
    }

    /// <summary>ICMP echo (RFC 792).</summary>
    public static class Icmp
    {
        public const int HeaderLength = 8;
        public const byte EchoReply = 0, EchoRequest = 8;
        public static NetCounter Validate(ReadOnlySpan<byte> p)
        {
            if (p.Length < HeaderLength) return NetCounter.DropTruncated;
            if (!Checksum.Verify(Checksum.Add(0, p))) return NetCounter.DropBadChecksum;
            return NetCounter.None;
        }
        public static void WriteEcho(Span<byte> p, byte type, ushort id, ushort seq, ReadOnlySpan<byte> data)
        {
            p[0] = type; p[1] = 0; Be.Put16(p, 2, 0); Be.Put16(p, 4, id); Be.Put16(p, 6, seq);
            data.CopyTo(p.Slice(HeaderLength));
            Be.Put16(p, 2, Checksum.Finish(Checksum.Add(0, p.Slice(0, HeaderLength + data.Length))));
        }
    }

    /// <summary>UDP (RFC 768), checksum over the pseudo-header; a zero checksum means none.</summary>
    public static class Udp
    {
        public const int HeaderLength = 8;
        public static NetCounter Validate(ReadOnlySpan<byte> p, uint src, uint dst, out int length)
        {
            length = 0;
            if (p.Length < HeaderLength) return NetCounter.DropTruncated;
            int len = Be.U16(p, 4);
            if (len < HeaderLength || len > p.Length) return NetCounter.DropBadLength;
            if (Be.U16(p, 6) != 0 && !Checksum.Verify(Checksum.Add(Checksum.Pseudo(src, dst, Ipv4.ProtoUdp, len), p.Slice(0, len))))
                return NetCounter.DropBadChecksum;
            length = len;
            return NetCounter.None;
        }
        public static ushort SourcePort(ReadOnlySpan<byte> p) => Be.U16(p, 0);
        public static ushort DestinationPort(ReadOnlySpan<byte> p) => Be.U16(p, 2);

        /// <summary>Writes the header for a payload already in place at offset 8, with its checksum.</summary>
        public static void Write(Span<byte> p, ushort srcPort, ushort dstPort, int payloadLength, uint src, uint dst)
        {
            int len = HeaderLength + payloadLength;
            Be.Put16(p, 0, srcPort); Be.Put16(p, 2, dstPort); Be.Put16(p, 4, len); Be.Put16(p, 6, 0);
            ushort c = Checksum.Finish(Checksum.Add(Checksum.Pseudo(src, dst, Ipv4.ProtoUdp, len), p.Slice(0, len)));
            Be.Put16(p, 6, c == 0 ? 0xFFFF : c);
        }
    }
}
