using System;

namespace Molt.Update.Trust
{
    /// <summary>
    /// An element of the field GF(p), p = 2^255 - 19, for Ed25519 verification.
    ///
    /// Representation: ten signed limbs in radix 2^25.5,
    /// value = L0 + L1*2^26 + L2*2^51 + L3*2^77 + L4*2^102 + L5*2^128 + L6*2^153
    ///       + L7*2^179 + L8*2^204 + L9*2^230 (even limbs 26 bits wide, odd ones 25).
    /// Products of two limbs fit in 64 bits, so the kernel needs no 128-bit
    /// multiply (its corelib has neither <c>Math.BigMul</c> nor <c>UInt128</c>),
    /// and both x86-64 and AArch64 do each as one 64-bit multiply.
    ///
    /// Bounds (the invariant every caller keeps):
    /// - "reduced": the output of <see cref="Mul"/>, <see cref="Square"/>,
    ///   <see cref="Square2"/>, <see cref="FromBytes"/> and <see cref="Carry"/>:
    ///   |even limb| &lt;= 2^25, |odd limb| &lt;= 2^24 + 2^15.
    /// - <see cref="Add"/>, <see cref="Sub"/> and <see cref="Neg"/> do not carry:
    ///   a sum or difference of k reduced values has limbs up to k times that.
    /// - <see cref="Mul"/> and <see cref="Square"/> accept inputs up to 4 times
    ///   reduced (|even| &lt;= 2^27, |odd| &lt;= 2^26): the largest sum of ten
    ///   products, with the factors 2 and 19 below, stays under 2^61.
    /// The point formulas in <see cref="EdwardsPoint"/> feed multiplies with at
    /// most 3 reduced values added, so these bounds are never exceeded.
    ///
    /// Nothing here is constant-time: it verifies public data only.
    /// Methods take <c>in</c>/<c>out</c> parameters to avoid copying 40 bytes;
    /// an output may alias an input (every input is read before the output is written).
    /// </summary>
    internal struct FieldElement
    {
        public int L0, L1, L2, L3, L4, L5, L6, L7, L8, L9;

        public static void Zero(out FieldElement h) => h = default;

        public static void One(out FieldElement h)
        {
            h = default;
            h.L0 = 1;
        }

        public static void Copy(out FieldElement h, in FieldElement f) => h = f;

        public static void Add(out FieldElement h, in FieldElement f, in FieldElement g)
        {
            int a0 = f.L0 + g.L0, a1 = f.L1 + g.L1, a2 = f.L2 + g.L2, a3 = f.L3 + g.L3, a4 = f.L4 + g.L4;
            int a5 = f.L5 + g.L5, a6 = f.L6 + g.L6, a7 = f.L7 + g.L7, a8 = f.L8 + g.L8, a9 = f.L9 + g.L9;
            h.L0 = a0; h.L1 = a1; h.L2 = a2; h.L3 = a3; h.L4 = a4;
            h.L5 = a5; h.L6 = a6; h.L7 = a7; h.L8 = a8; h.L9 = a9;
        }

        public static void Sub(out FieldElement h, in FieldElement f, in FieldElement g)
        {
            int a0 = f.L0 - g.L0, a1 = f.L1 - g.L1, a2 = f.L2 - g.L2, a3 = f.L3 - g.L3, a4 = f.L4 - g.L4;
            int a5 = f.L5 - g.L5, a6 = f.L6 - g.L6, a7 = f.L7 - g.L7, a8 = f.L8 - g.L8, a9 = f.L9 - g.L9;
            h.L0 = a0; h.L1 = a1; h.L2 = a2; h.L3 = a3; h.L4 = a4;
            h.L5 = a5; h.L6 = a6; h.L7 = a7; h.L8 = a8; h.L9 = a9;
        }

        public static void Neg(out FieldElement h, in FieldElement f)
        {
            int a0 = -f.L0, a1 = -f.L1, a2 = -f.L2, a3 = -f.L3, a4 = -f.L4;
            int a5 = -f.L5, a6 = -f.L6, a7 = -f.L7, a8 = -f.L8, a9 = -f.L9;
            h.L0 = a0; h.L1 = a1; h.L2 = a2; h.L3 = a3; h.L4 = a4;
            h.L5 = a5; h.L6 = a6; h.L7 = a7; h.L8 = a8; h.L9 = a9;
        }

        /// <summary>
        /// h = f * g. Limb i sits at bit ceil(25.5 i): a product of two odd limbs
        /// lands one bit above its column (factor 2), and a column at or above
        /// limb 10 wraps to limb - 10 with factor 19, because 2^255 = 19 (mod p).
        /// </summary>
        public static void Mul(out FieldElement h, in FieldElement f, in FieldElement g)
        {
            long f0 = f.L0, f1 = f.L1, f2 = f.L2, f3 = f.L3, f4 = f.L4, f5 = f.L5, f6 = f.L6, f7 = f.L7, f8 = f.L8, f9 = f.L9;
            long g0 = g.L0, g1 = g.L1, g2 = g.L2, g3 = g.L3, g4 = g.L4, g5 = g.L5, g6 = g.L6, g7 = g.L7, g8 = g.L8, g9 = g.L9;
            long g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4, g5_19 = 19 * g5;
            long g6_19 = 19 * g6, g7_19 = 19 * g7, g8_19 = 19 * g8, g9_19 = 19 * g9;
            long f1_2 = 2 * f1, f3_2 = 2 * f3, f5_2 = 2 * f5, f7_2 = 2 * f7, f9_2 = 2 * f9;

            long h0 = f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19 + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19;
            long h1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19 + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19;
            long h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19 + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19;
            long h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19 + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19;
            long h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19;
            long h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19;
            long h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19;
            long h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19;
            long h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19;
            long h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;

            CarryWide(out h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
        }

        /// <summary>h = f^2: <see cref="Mul"/> with the symmetric products merged (factor 2).</summary>
        public static void Square(out FieldElement h, in FieldElement f)
        {
            SquareWide(in f, out long h0, out long h1, out long h2, out long h3, out long h4, out long h5, out long h6, out long h7, out long h8, out long h9);
            CarryWide(out h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
        }

        /// <summary>h = 2 f^2, used by point doubling.</summary>
        public static void Square2(out FieldElement h, in FieldElement f)
        {
            SquareWide(in f, out long h0, out long h1, out long h2, out long h3, out long h4, out long h5, out long h6, out long h7, out long h8, out long h9);
            CarryWide(out h, 2 * h0, 2 * h1, 2 * h2, 2 * h3, 2 * h4, 2 * h5, 2 * h6, 2 * h7, 2 * h8, 2 * h9);
        }

        private static void SquareWide(in FieldElement f, out long h0, out long h1, out long h2, out long h3, out long h4,
                                       out long h5, out long h6, out long h7, out long h8, out long h9)
        {
            long f0 = f.L0, f1 = f.L1, f2 = f.L2, f3 = f.L3, f4 = f.L4, f5 = f.L5, f6 = f.L6, f7 = f.L7, f8 = f.L8, f9 = f.L9;
            long f0_2 = 2 * f0, f1_2 = 2 * f1, f1_4 = 4 * f1, f1_76 = 76 * f1, f2_2 = 2 * f2, f2_38 = 38 * f2;
            long f3_2 = 2 * f3, f3_4 = 4 * f3, f3_38 = 38 * f3, f3_76 = 76 * f3, f4_2 = 2 * f4, f4_38 = 38 * f4;
            long f5_38 = 38 * f5, f5_76 = 76 * f5, f6_19 = 19 * f6, f6_38 = 38 * f6, f7_38 = 38 * f7, f7_76 = 76 * f7;
            long f8_19 = 19 * f8, f8_38 = 38 * f8, f9_38 = 38 * f9;
            h0 = f0 * f0 + f1_76 * f9 + f2_38 * f8 + f3_76 * f7 + f4_38 * f6 + f5_38 * f5;
            h1 = f0_2 * f1 + f2_38 * f9 + f3_38 * f8 + f4_38 * f7 + f5_38 * f6;
            h2 = f0_2 * f2 + f1_2 * f1 + f3_76 * f9 + f4_38 * f8 + f5_76 * f7 + f6_19 * f6;
            h3 = f0_2 * f3 + f1_2 * f2 + f4_38 * f9 + f5_38 * f8 + f6_38 * f7;
            h4 = f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_76 * f9 + f6_38 * f8 + f7_38 * f7;
            h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_38 * f9 + f7_38 * f8;
            h6 = f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_76 * f9 + f8_19 * f8;
            h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_38 * f9;
            h8 = f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4 + f9_38 * f9;
            h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
        }

        /// <summary>
        /// Brings 64-bit column sums back to reduced limbs. Carries round to
        /// nearest (add half, shift), so limbs come out signed and small.
        /// The order interleaves two chains (0..4 and 4..9) so no column
        /// grows past 64 bits before it is carried; the carry out of limb 9
        /// re-enters limb 0 times 19 and one more carry tidies limb 0.
        /// </summary>
        private static void CarryWide(out FieldElement h, long h0, long h1, long h2, long h3, long h4,
                                      long h5, long h6, long h7, long h8, long h9)
        {
            long c;
            c = (h0 + (1L << 25)) >> 26; h1 += c; h0 -= c << 26;
            c = (h4 + (1L << 25)) >> 26; h5 += c; h4 -= c << 26;
            c = (h1 + (1L << 24)) >> 25; h2 += c; h1 -= c << 25;
            c = (h5 + (1L << 24)) >> 25; h6 += c; h5 -= c << 25;
            c = (h2 + (1L << 25)) >> 26; h3 += c; h2 -= c << 26;
            c = (h6 + (1L << 25)) >> 26; h7 += c; h6 -= c << 26;
            c = (h3 + (1L << 24)) >> 25; h4 += c; h3 -= c << 25;
            c = (h7 + (1L << 24)) >> 25; h8 += c; h7 -= c << 25;
            c = (h4 + (1L << 25)) >> 26; h5 += c; h4 -= c << 26;
            c = (h8 + (1L << 25)) >> 26; h9 += c; h8 -= c << 26;
            c = (h9 + (1L << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
            c = (h0 + (1L << 25)) >> 26; h1 += c; h0 -= c << 26;
            h.L0 = (int)h0; h.L1 = (int)h1; h.L2 = (int)h2; h.L3 = (int)h3; h.L4 = (int)h4;
            h.L5 = (int)h5; h.L6 = (int)h6; h.L7 = (int)h7; h.L8 = (int)h8; h.L9 = (int)h9;
        }

        /// <summary>Carries any value within the add/sub bounds back to reduced limbs (same value mod p).</summary>
        public static void Carry(out FieldElement h, in FieldElement f)
            => CarryWide(out h, f.L0, f.L1, f.L2, f.L3, f.L4, f.L5, f.L6, f.L7, f.L8, f.L9);

        /// <summary>
        /// Loads 32 little-endian bytes, ignoring the top bit (bit 255), as RFC 8032
        /// 5.1.3 does for y. The value may be p..2^255-1 (not canonical): callers
        /// that must refuse that check <see cref="IsCanonicalEncoding"/> first.
        /// </summary>
        public static void FromBytes(out FieldElement h, ReadOnlySpan<byte> s)
        {
            ulong w0 = Load64(s, 0), w1 = Load64(s, 8), w2 = Load64(s, 16), w3 = Load64(s, 24) & 0x7FFFFFFFFFFFFFFFUL;
            // Each limb takes its exact bits, so limbs are non-negative and within 2x reduced; Carry makes them reduced.
            CarryWide(out h,
                Bits(w0, w1, w2, w3, 0, 26), Bits(w0, w1, w2, w3, 26, 25), Bits(w0, w1, w2, w3, 51, 26),
                Bits(w0, w1, w2, w3, 77, 25), Bits(w0, w1, w2, w3, 102, 26), Bits(w0, w1, w2, w3, 128, 25),
                Bits(w0, w1, w2, w3, 153, 26), Bits(w0, w1, w2, w3, 179, 25), Bits(w0, w1, w2, w3, 204, 26),
                Bits(w0, w1, w2, w3, 230, 25));
        }

        /// <summary>True when the 32 bytes, top bit ignored, encode a number below p (RFC 8032 5.1.3 step 1).</summary>
        public static bool IsCanonicalEncoding(ReadOnlySpan<byte> s)
        {
            // p = 2^255 - 19: little-endian ED FF .. FF 7F. Anything from p up has
            // bytes 1..30 all FF, byte 31 = 7F (with the sign bit masked) and byte 0 >= ED.
            if ((s[31] & 0x7F) != 0x7F) return true;
            for (int i = 30; i >= 1; i--) if (s[i] != 0xFF) return true;
            return s[0] < 0xED;
        }

        /// <summary>Writes the canonical 32-byte little-endian encoding (value mod p, fully reduced; bit 255 clear).</summary>
        public static void ToBytes(Span<byte> s, in FieldElement f)
        {
            // 1. Carry with floor division three times: limbs 1..9 end in [0, 2^w),
            //    and the value in [0, 2^255). (Limb 9's carry re-enters limb 0 times 19;
            //    the second and third passes absorb that and any ripple.)
            long h0 = f.L0, h1 = f.L1, h2 = f.L2, h3 = f.L3, h4 = f.L4, h5 = f.L5, h6 = f.L6, h7 = f.L7, h8 = f.L8, h9 = f.L9;
            for (int pass = 0; pass < 3; pass++)
            {
                long c;
                c = h0 >> 26; h1 += c; h0 -= c << 26;
                c = h1 >> 25; h2 += c; h1 -= c << 25;
                c = h2 >> 26; h3 += c; h2 -= c << 26;
                c = h3 >> 25; h4 += c; h3 -= c << 25;
                c = h4 >> 26; h5 += c; h4 -= c << 26;
                c = h5 >> 25; h6 += c; h5 -= c << 25;
                c = h6 >> 26; h7 += c; h6 -= c << 26;
                c = h7 >> 25; h8 += c; h7 -= c << 25;
                c = h8 >> 26; h9 += c; h8 -= c << 26;
                c = h9 >> 25; h0 += 19 * c; h9 -= c << 25;
            }
            // 2. Now 0 <= value < 2^255. It is >= p exactly when value + 19 carries out of bit 255:
            //    then value - p = (value + 19) - 2^255.
            long t0 = h0 + 19, t1 = h1, t2 = h2, t3 = h3, t4 = h4, t5 = h5, t6 = h6, t7 = h7, t8 = h8, t9 = h9;
            {
                long c;
                c = t0 >> 26; t1 += c; t0 -= c << 26;
                c = t1 >> 25; t2 += c; t1 -= c << 25;
                c = t2 >> 26; t3 += c; t2 -= c << 26;
                c = t3 >> 25; t4 += c; t3 -= c << 25;
                c = t4 >> 26; t5 += c; t4 -= c << 26;
                c = t5 >> 25; t6 += c; t5 -= c << 25;
                c = t6 >> 26; t7 += c; t6 -= c << 26;
                c = t7 >> 25; t8 += c; t7 -= c << 25;
                c = t8 >> 26; t9 += c; t8 -= c << 26;
                if ((t9 >> 25) != 0)
                {
                    h0 = t0; h1 = t1; h2 = t2; h3 = t3; h4 = t4; h5 = t5; h6 = t6; h7 = t7; h8 = t8; h9 = t9 & ((1L << 25) - 1);
                }
            }
            // 3. Pack the 255 bits.
            ulong w0 = (ulong)h0 | ((ulong)h1 << 26) | ((ulong)h2 << 51);
            ulong w1 = ((ulong)h2 >> 13) | ((ulong)h3 << 13) | ((ulong)h4 << 38);
            ulong w2 = (ulong)h5 | ((ulong)h6 << 25) | ((ulong)h7 << 51);
            ulong w3 = ((ulong)h7 >> 13) | ((ulong)h8 << 12) | ((ulong)h9 << 38);
            Store64(s, 0, w0); Store64(s, 8, w1); Store64(s, 16, w2); Store64(s, 24, w3);
        }

        /// <summary>The "sign" of RFC 8032: the least significant bit of the canonical encoding.</summary>
        public static bool IsNegative(in FieldElement f)
        {
            Span<byte> s = stackalloc byte[32];
            ToBytes(s, in f);
            return (s[0] & 1) != 0;
        }

        public static bool IsZero(in FieldElement f)
        {
            Span<byte> s = stackalloc byte[32];
            ToBytes(s, in f);
            byte any = 0;
            for (int i = 0; i < 32; i++) any |= s[i];
            return any == 0;
        }

        /// <summary>True when f = g mod p.</summary>
        public static bool AreEqual(in FieldElement f, in FieldElement g)
        {
            Sub(out FieldElement d, in f, in g);
            return IsZero(in d);
        }

        /// <summary>h = f^(2^n) by n squarings (n &gt;= 1).</summary>
        public static void SquareTimes(out FieldElement h, in FieldElement f, int n)
        {
            Square(out h, in f);
            for (int i = 1; i < n; i++) Square(out h, in h);
        }

        /// <summary>h = z^(2^250 - 1); also returns z^11, the two pieces both exponent chains below share.</summary>
        private static void Pow2250Minus1(out FieldElement h, out FieldElement z11, in FieldElement z)
        {
            Square(out FieldElement z2, in z);                       // z^2
            SquareTimes(out FieldElement t, in z2, 2);               // z^8
            Mul(out FieldElement z9, in t, in z);                    // z^9
            Mul(out z11, in z9, in z2);                              // z^11
            Square(out t, in z11);                                   // z^22
            Mul(out FieldElement e5, in t, in z9);                   // z^(2^5 - 1) = z^31
            SquareTimes(out t, in e5, 5);
            Mul(out FieldElement e10, in t, in e5);                  // z^(2^10 - 1)
            SquareTimes(out t, in e10, 10);
            Mul(out FieldElement e20, in t, in e10);                 // z^(2^20 - 1)
            SquareTimes(out t, in e20, 20);
            Mul(out t, in t, in e20);                                // z^(2^40 - 1)
            SquareTimes(out t, in t, 10);
            Mul(out FieldElement e50, in t, in e10);                 // z^(2^50 - 1)
            SquareTimes(out t, in e50, 50);
            Mul(out FieldElement e100, in t, in e50);                // z^(2^100 - 1)
            SquareTimes(out t, in e100, 100);
            Mul(out t, in t, in e100);                               // z^(2^200 - 1)
            SquareTimes(out t, in t, 50);
            Mul(out h, in t, in e50);                                // z^(2^250 - 1)
        }

        /// <summary>h = 1/z = z^(p - 2) = z^(2^255 - 21) (Fermat); 0 maps to 0.</summary>
        public static void Invert(out FieldElement h, in FieldElement z)
        {
            Pow2250Minus1(out FieldElement t, out FieldElement z11, in z);
            SquareTimes(out t, in t, 5);                             // z^(2^255 - 32)
            Mul(out h, in t, in z11);                                // z^(2^255 - 21)
        }

        /// <summary>h = z^((p - 5) / 8) = z^(2^252 - 3), the exponent of the square-root step in RFC 8032 5.1.3.</summary>
        public static void Pow22523(out FieldElement h, in FieldElement z)
        {
            Pow2250Minus1(out FieldElement t, out _, in z);
            SquareTimes(out t, in t, 2);                             // z^(2^252 - 4)
            Mul(out h, in t, in z);                                  // z^(2^252 - 3)
        }

        // ---- byte helpers (little-endian, independent of the host's byte order) ----

        internal static ulong Load64(ReadOnlySpan<byte> s, int offset)
        {
            ulong v = 0;
            for (int i = 7; i >= 0; i--) v = (v << 8) | s[offset + i];
            return v;
        }

        internal static void Store64(Span<byte> s, int offset, ulong v)
        {
            for (int i = 0; i < 8; i++) { s[offset + i] = (byte)v; v >>= 8; }
        }

        /// <summary>Bits [position, position + width) of the 256-bit number w3:w2:w1:w0 (width &lt;= 32).</summary>
        private static long Bits(ulong w0, ulong w1, ulong w2, ulong w3, int position, int width)
        {
            int word = position >> 6, shift = position & 63;
            ulong lo = word == 0 ? w0 : word == 1 ? w1 : word == 2 ? w2 : w3;
            ulong hi = word == 0 ? w1 : word == 1 ? w2 : word == 2 ? w3 : 0;
            ulong v = shift == 0 ? lo : (lo >> shift) | (hi << (64 - shift));
            return (long)(v & ((1UL << width) - 1));
        }
    }
}
