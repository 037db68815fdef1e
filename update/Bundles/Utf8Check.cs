using System;

namespace Molt.Update.Bundles
{
    /// <summary>
    /// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates,
    /// nothing above U+10FFFF. Names also refuse control characters
    /// (U+0000-U+001F, U+007F); a description may hold tabs and newlines.
    /// </summary>
    public static class Utf8Check
    {
        /// <summary>The index of the first byte of the first bad sequence, or -1 if <paramref name="s"/> is valid.</summary>
        public static int FirstInvalid(ReadOnlySpan<byte> s, bool allowTabAndNewline)
        {
            int i = 0;
            while (i < s.Length)
            {
                byte c = s[i];
                if (c < 0x80)
                {
                    bool control = c < 0x20 || c == 0x7F;
                    if (control && !(allowTabAndNewline && (c == (byte)'\t' || c == (byte)'\n'))) return i;
                    i++;
                    continue;
                }
                int need;
                uint cp;
                uint min;
                if ((c & 0xE0) == 0xC0) { need = 1; cp = (uint)(c & 0x1F); min = 0x80; }
                else if ((c & 0xF0) == 0xE0) { need = 2; cp = (uint)(c & 0x0F); min = 0x800; }
                else if ((c & 0xF8) == 0xF0) { need = 3; cp = (uint)(c & 0x07); min = 0x10000; }
                else return i;
                if (i + need >= s.Length) return i; // the sequence runs past the end
                for (int k = 1; k <= need; k++)
                {
                    byte n = s[i + k];
                    if ((n & 0xC0) != 0x80) return i;
                    cp = (cp << 6) | (uint)(n & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
                // C1 controls are controls too.
                if (!allowTabAndNewline && cp >= 0x80 && cp <= 0x9F) return i;
                i += need + 1;
            }
            return -1;
        }
    }
}
