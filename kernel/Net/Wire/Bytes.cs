#nullable disable
using System;

namespace Molt.Net.Wire
{
    /// <summary>Network byte order (big-endian) reads and writes; the caller has checked the length.</summary>
    public static class Be
    {
        public static ushort U16(ReadOnlySpan<byte> b, int o) => (ushort)(b[o] << 8 | b[o + 1]);
        public static uint U32(ReadOnlySpan<byte> b, int o) => (uint)(b[o] << 24 | b[o + 1] << 16 | b[o + 2] << 8 | b[o + 3]);
        public static void Put16(Span<byte> b, int o, int v) { b[o] = (byte)(v >> 8); b[o + 1] = (byte)v; }
        public static void Put32(Span<byte> b, int o, uint v) { b[o] = (byte)(v >> 24); b[o + 1] = (byte)(v >> 16); b[o + 2] = (byte)(v >> 8); b[o + 3] = (byte)v; }

        public static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }

        /// <summary>Copies min(source, destination) bytes; returns how many.</summary>
        public static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            int n = source.Length < destination.Length ? source.Length : destination.Length;
            source.Slice(0, n).CopyTo(destination);
            return n;
        }
    }

    /// <summary>
    /// The Internet checksum (RFC 1071): a ones'-complement sum of 16-bit
    /// words. Sums are accumulated in 64 bits and folded at the end.
    /// </summary>
    public static class Checksum
    {
        /// <summary>Adds <paramref name="data"/> as if it started at an even offset of the checksummed stream.</summary>
        public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
        {
            int i = 0, n = data.Length;
            for (; i + 1 < n; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
            if (i < n) sum += (uint)(data[i] << 8);
            return sum;
        }

        /// <summary>The IPv4 pseudo-header of TCP and UDP.</summary>
        public static ulong Pseudo(uint source, uint destination, byte protocol, int length)
            => (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + (uint)length;

        /// <summary>Folds the carries and complements: the value to store in a header.</summary>
        public static ushort Finish(ulong sum)
        {
            while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
            return (ushort)~sum;
        }

        /// <summary>True when data that includes its checksum field sums to all ones.</summary>
        public static bool Verify(ulong sum) => Finish(sum) == 0;
    }

    /// <summary>IPv4 addresses as uint in host order: 10.0.2.15 is 0x0A00020F.</summary>
    public static class Ip
    {
        public const uint Broadcast = 0xFFFFFFFF;
        public static uint Make(int a, int b, int c, int d) => (uint)(a << 24 | b << 16 | c << 8 | d);

        /// <summary>Parses dotted decimal "a.b.c.d" (each 0-255); false otherwise.</summary>
        public static bool TryParse(ReadOnlySpan<byte> s, out uint ip)
        {
            ip = 0;
            int part = 0, digits = 0; uint value = 0;
            for (int i = 0; i <= s.Length; i++)
            {
                if (i == s.Length || s[i] == '.')
                {
                    if (digits == 0 || value > 255) return false;
                    ip = ip << 8 | value;
                    part++; digits = 0; value = 0;
                    if (i < s.Length && part == 4) return false;
                    continue;
                }
                byte c = s[i];
                if (c < '0' || c > '9' || digits == 3) return false;
                value = value * 10 + (uint)(c - '0');
                digits++;
            }
            return part == 4;
        }

        /// <summary>Parses "a.b.c.d/len" into an address and a mask.</summary>
        public static bool TryParseCidr(ReadOnlySpan<byte> s, out uint ip, out uint mask)
        {
            mask = 0xFFFFFF00; ip = 0;
            int slash = -1;
            for (int i = 0; i < s.Length; i++) if (s[i] == '/') { slash = i; break; }
            if (slash < 0) return TryParse(s, out ip);
            if (!TryParse(s.Slice(0, slash), out ip)) return false;
            int len = 0;
            var t = s.Slice(slash + 1);
            if (t.Length == 0 || t.Length > 2) return false;
            for (int i = 0; i < t.Length; i++) { if (t[i] < '0' || t[i] > '9') return false; len = len * 10 + (t[i] - '0'); }
            if (len > 32) return false;
            mask = len == 0 ? 0u : 0xFFFFFFFFu << (32 - len);
            return true;
        }
    }
}
