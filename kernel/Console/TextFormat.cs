using System;

namespace Molt.Console
{
    /// <summary>Number-to-text conversions into caller-provided buffers; nothing allocates.</summary>
    public static class TextFormat
    {
        /// <summary>Writes <paramref name="value"/> in decimal; returns the number of chars written.</summary>
        public static int FormatDecimal(long value, Span<char> dest)
        {
            if (value >= 0) return FormatUnsigned((ulong)value, dest);
            dest[0] = '-';
            return 1 + FormatUnsigned((ulong)(-(value + 1)) + 1, dest.Slice(1));
        }

        public static int FormatUnsigned(ulong value, Span<char> dest)
        {
            Span<char> tmp = stackalloc char[20];
            int n = 0;
            do { tmp[n++] = (char)('0' + (int)(value % 10)); value /= 10; } while (value != 0);
            for (int i = 0; i < n; i++) dest[i] = tmp[n - 1 - i];
            return n;
        }

        /// <summary>Hex with at least <paramref name="minDigits"/> digits (zero-padded), no prefix.</summary>
        public static int FormatHex(ulong value, Span<char> dest, int minDigits = 0, bool upper = false)
        {
            int digits = 1;
            for (ulong v = value >> 4; v != 0; v >>= 4) digits++;
            if (digits < minDigits) digits = minDigits;
            if (digits > 16) digits = 16;
            char a = upper ? 'A' : 'a';
            for (int i = 0; i < digits; i++)
            {
                int nibble = (int)((value >> (4 * (digits - 1 - i))) & 0xF);
                dest[i] = (char)(nibble < 10 ? '0' + nibble : a + nibble - 10);
            }
            return digits;
        }

        /// <summary>Parses a format like "x", "X8", "x16", "d5"; returns false for an unknown one.</summary>
        public static bool ParseFormat(string format, out char kind, out int width)
        {
            kind = 'd'; width = 0;
            if ((object)format == null || format.Length == 0) return true;
            kind = format[0];
            for (int i = 1; i < format.Length; i++)
            {
                char c = format[i];
                if (c < '0' || c > '9') return false;
                width = width * 10 + (c - '0');
            }
            return kind == 'x' || kind == 'X' || kind == 'd' || kind == 'D';
        }
    }
}
