#nullable disable
using System;

namespace Molt.Net.Wire
{
    /// <summary>TCP flag bits (byte 13 of the header).</summary>
    public static class TcpFlags
    {
        public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;
    }

    /// <summary>
    /// A parsed TCP segment: header fields, the options the stack uses (MSS,
    /// window scale; SACK and timestamps are skipped) and the payload as a
    /// view into the received frame (valid only while the frame is).
    /// </summary>
    public ref struct TcpSegment
    {
        public uint Source, Destination; // IPv4 addresses
        public ushort SourcePort, DestinationPort;
        public uint Seq, Ack;
        public byte Flags;
        public ushort Window;
        public int Mss;         // 0 if absent
        public int WindowScale; // -1 if absent
        public ReadOnlySpan<byte> Payload;

        public bool Has(byte flag) => (Flags & flag) != 0;
        /// <summary>Sequence space the segment occupies: data plus one for SYN and one for FIN.</summary>
        public int SeqLength => Payload.Length + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);
    }

    public static class TcpHeader
    {
        public const int MinLength = 20;

        /// <summary>Parses and checks (checksum over the pseudo-header, offsets, option lengths).</summary>
        public static NetCounter Parse(ReadOnlySpan<byte> p, uint src, uint dst, out TcpSegment seg)
        {
            seg = default;
            seg.WindowScale = -1;
            if (p.Length < MinLength) return NetCounter.DropTruncated;
            int off = (p[12] >> 4) * 4;
            if (off < MinLength || off > p.Length) return NetCounter.DropBadLength;
            if (!Checksum.Verify(Checksum.Add(Checksum.Pseudo(src, dst, Ipv4.ProtoTcp, p.Length), p))) return NetCounter.DropBadChecksum;
            seg.Source = src; seg.Destination = dst;
            seg.SourcePort = Be.U16(p, 0); seg.DestinationPort = Be.U16(p, 2);
            seg.Seq = Be.U32(p, 4); seg.Ack = Be.U32(p, 8);
            seg.Flags = (byte)(p[13] & 0x3F);
            seg.Window = Be.U16(p, 14);
            if (seg.SourcePort == 0 || seg.DestinationPort == 0) return NetCounter.DropTcpBadPort;
            int i = MinLength;
            while (i < off)
            {
                byte kind = p[i];
                if (kind == 0) break;
                if (kind == 1) { i++; continue; }
                if (i + 1 >= off) return NetCounter.DropTcpBadOption;
                int len = p[i + 1];
                if (len < 2 || i + len > off) return NetCounter.DropTcpBadOption;
                if (kind == 2) { if (len != 4) return NetCounter.DropTcpBadOption; seg.Mss = Be.U16(p, i + 2); }
                else if (kind == 3) { if (len != 3) return NetCounter.DropTcpBadOption; seg.WindowScale = p[i + 2] > 14 ? 14 : p[i + 2]; }
                i += len;
            }
            seg.Payload = p.Slice(off);
            return NetCounter.None;
        }

        /// <summary>Header length for a segment carrying the SYN options (MSS, window scale) or not.</summary>
        public static int Length(bool synOptions) => synOptions ? MinLength + 8 : MinLength;

        /// <summary>
        /// Writes the header into <paramref name="p"/> whose payload (already
        /// in place after the header) is <paramref name="payloadLength"/> bytes, then the checksum.
        /// </summary>
        public static int Write(Span<byte> p, uint src, uint dst, ushort srcPort, ushort dstPort, uint seq, uint ack,
                                byte flags, ushort window, int mss, int windowScale, int payloadLength)
        {
            bool opts = mss > 0;
            int hl = Length(opts);
            Be.Put16(p, 0, srcPort); Be.Put16(p, 2, dstPort); Be.Put32(p, 4, seq); Be.Put32(p, 8, ack);
            p[12] = (byte)((hl / 4) << 4); p[13] = flags; Be.Put16(p, 14, window); Be.Put16(p, 16, 0); Be.Put16(p, 18, 0);
            if (opts)
            {
                p[20] = 2; p[21] = 4; Be.Put16(p, 22, mss);
                if (windowScale >= 0) { p[24] = 1; p[25] = 3; p[26] = 3; p[27] = (byte)windowScale; }
                else { p[24] = 1; p[25] = 1; p[26] = 1; p[27] = 1; }
            }
            int len = hl + payloadLength;
            Be.Put16(p, 16, Checksum.Finish(Checksum.Add(Checksum.Pseudo(src, dst, Ipv4.ProtoTcp, len), p.Slice(0, len))));
            return len;
        }
    }
}
