using System;

namespace Molt.Update.Trust
{
    /// <summary>
    /// Scalars modulo the group order L = 2^252 + 27742317777372353535851937790883648493,
    /// as 32-byte little-endian numbers (RFC 8032 5.1): the canonicity check
    /// for S, reduction of the 64-byte hash k, and the signed-digit recoding
    /// the double-scalar multiplication walks.
    /// </summary>
    internal static class Scalar
    {
        /// <summary>
        /// c = L - 2^252 in six 21-bit digits, least significant first. Since
        /// 2^252 = -c (mod L), a digit of weight 2^(252 + 21 i) folds down to
        /// weight 2^(21 i) times -c.
        /// </summary>
        private const long C0 = 1430509, C1 = 1626855, C2 = 1442968, C3 = 997804, C4 = 1960495, C5 = 683900;

        private const int LimbBits = 21;
        private const long LimbMask = (1L << LimbBits) - 1;

        /// <summary>L, little-endian.</summary>
        private static ReadOnlySpan<byte> Order => new byte[]
        {
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
        };

        /// <summary>True when the 32-byte little-endian number <paramref name="s"/> is below L (RFC 8032 5.1.7 step 1: S must be in [0, L)).</summary>
        public static bool IsCanonical(ReadOnlySpan<byte> s)
        {
            ReadOnlySpan<byte> l = Order;
            for (int i = 31; i >= 0; i--)
            {
                if (s[i] < l[i]) return true;
                if (s[i] > l[i]) return false;
            }
            return false; // equal to L
        }

        /// <summary>
        /// Reduces a 64-byte little-endian number (a SHA-512 digest) modulo L into
        /// 32 canonical bytes.
        /// 1. Split it into 25 limbs of 21 bits (the last holds 8 bits).
        /// 2. From the top down to limb 12, fold each limb v at 2^(21 i) into
        ///    limbs i-12..i-7 as -v*c, then carry limbs i-12..i-2 upwards (floor), so
        ///    every limb below i-1 is back in [0, 2^21).
        /// 3. Carry limbs 0..11 into a top count t of 2^252 (value = low + t*2^252, low in [0, 2^252)).
        ///    If t &gt; 0, fold it once more (t*2^252 = -t*c): now t is 0 or -1.
        ///    If t &lt; 0, add -t times L (add -t*c, clear t): now 0 &lt;= value &lt; 2^252 + c*|t| &lt; 2^253 &lt; 2L.
        /// 4. Subtract L once if the value is at least L.
        /// Limbs stay far inside 64 bits throughout (products are 21 x 23 bits at most).
        /// </summary>
        public static void Reduce(ReadOnlySpan<byte> wide, Span<byte> result)
        {
            Span<long> s = stackalloc long[25];
            ulong w0 = FieldElement.Load64(wide, 0), w1 = FieldElement.Load64(wide, 8), w2 = FieldElement.Load64(wide, 16), w3 = FieldElement.Load64(wide, 24);
            ulong w4 = FieldElement.Load64(wide, 32), w5 = FieldElement.Load64(wide, 40), w6 = FieldElement.Load64(wide, 48), w7 = FieldElement.Load64(wide, 56);
            for (int i = 0; i < 25; i++)
            {
                int position = i * LimbBits, word = position >> 6, shift = position & 63;
                ulong lo = Word(word, w0, w1, w2, w3, w4, w5, w6, w7);
                ulong hi = Word(word + 1, w0, w1, w2, w3, w4, w5, w6, w7);
                ulong v = shift == 0 ? lo : (lo >> shift) | (hi << (64 - shift));
                s[i] = (long)(v & LimbMask);
            }

            // 2. Fold limbs 24..12.
            for (int i = 24; i >= 12; i--)
            {
                long v = s[i];
                s[i] = 0;
                FoldDown(s, i - 12, v);
                for (int k = i - 12; k <= i - 2; k++) CarryFloor(s, k);
            }

            // 3. Normalise limbs 0..11 and bring the top count t into [-1, 0], then to 0.
            long t = CarryLow(s);
            if (t > 0)
            {
                FoldDown(s, 0, t);
                t = CarryLow(s);
            }
            if (t < 0)
            {
                FoldDown(s, 0, t); // adds |t| * c: together with clearing t that adds |t| * L
                t = CarryLow(s);
            }

            // 4. Now value = low + t * 2^252 with t in {0, 1}: subtract L if it is at least L.
            Span<long> d = stackalloc long[12];
            for (int k = 0; k < 12; k++) d[k] = s[k];
            FoldDown(d, 0, 1); // subtract c
            long top = t - 1;  // subtract 2^252
            for (int k = 0; k < 11; k++) CarryFloor(d, k);
            top += d[11] >> LimbBits; d[11] &= LimbMask;
            if (top >= 0)
            {
                for (int k = 0; k < 12; k++) s[k] = d[k];
                t = top;
            }

            // Pack 12 limbs of 21 bits (bits 0..251) and t (bit 252, now 0) into 32 bytes.
            result.Slice(0, 32).Clear();
            for (int k = 0; k < 12; k++)
            {
                int position = k * LimbBits;
                ulong v = (ulong)s[k];
                for (int b = 0; b < LimbBits; b++)
                    if (((v >> b) & 1) != 0) result[(position + b) >> 3] |= (byte)(1 << ((position + b) & 7));
            }
            if (t != 0) result[31] |= 0x10;
        }

        /// <summary>s[at..at+5] -= v * c (v at weight 2^(252 + 21 at), folded down).</summary>
        private static void FoldDown(Span<long> s, int at, long v)
        {
            s[at] -= v * C0;
            s[at + 1] -= v * C1;
            s[at + 2] -= v * C2;
            s[at + 3] -= v * C3;
            s[at + 4] -= v * C4;
            s[at + 5] -= v * C5;
        }

        private static void CarryFloor(Span<long> s, int k)
        {
            long carry = s[k] >> LimbBits; // arithmetic shift: floor division
            s[k] -= carry << LimbBits;
            s[k + 1] += carry;
        }

        /// <summary>Carries limbs 0..11 to [0, 2^21) and returns the count of 2^252 carried out.</summary>
        private static long CarryLow(Span<long> s)
        {
            for (int k = 0; k < 11; k++) CarryFloor(s, k);
            long top = s[11] >> LimbBits;
            s[11] -= top << LimbBits;
            return top;
        }

        private static ulong Word(int i, ulong w0, ulong w1, ulong w2, ulong w3, ulong w4, ulong w5, ulong w6, ulong w7)
            => i switch { 0 => w0, 1 => w1, 2 => w2, 3 => w3, 4 => w4, 5 => w5, 6 => w6, 7 => w7, _ => 0 };

        /// <summary>
        /// Width-5 non-adjacent form of a 32-byte scalar below 2^253 (every
        /// scalar here is below L): 256 signed
        /// digits, each 0 or odd in [-15, 15], any two non-zero digits at least
        /// 5 apart, with scalar = sum naf[i] * 2^i.
        /// Walk up the bits with a carry: at an odd window w (5 bits plus carry),
        /// emit w, or w - 32 with a carry of 1 when w &gt;= 16, and skip the 5 bits
        /// it accounts for; at an even one move one bit on. Below 2^253 no
        /// negative digit (which leaves a carry) starts above bit 248, so no carry is lost past bit 255.
        /// </summary>
        public static void NonAdjacentForm(ReadOnlySpan<byte> scalar, Span<sbyte> naf)
        {
            ulong w0 = FieldElement.Load64(scalar, 0), w1 = FieldElement.Load64(scalar, 8), w2 = FieldElement.Load64(scalar, 16), w3 = FieldElement.Load64(scalar, 24);
            naf.Slice(0, 256).Clear();
            const int Width = 5;
            const ulong WindowMask = (1UL << Width) - 1;
            ulong carry = 0;
            int position = 0;
            while (position < 256)
            {
                int word = position >> 6, shift = position & 63;
                ulong lo = Word(word, w0, w1, w2, w3, 0, 0, 0, 0);
                ulong hi = Word(word + 1, w0, w1, w2, w3, 0, 0, 0, 0);
                ulong bits = shift == 0 ? lo : (lo >> shift) | (hi << (64 - shift));
                ulong window = carry + (bits & WindowMask);
                if ((window & 1) == 0) { position++; continue; }
                if (window < (1UL << (Width - 1)))
                {
                    carry = 0;
                    naf[position] = (sbyte)window;
                }
                else
                {
                    carry = 1;
                    naf[position] = (sbyte)((long)window - (1L << Width));
                }
                position += Width;
            }
        }
    }
}
