using System;

namespace Molt.Update.Trust
{
    /// <summary>
    /// A point of edwards25519, -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19),
    /// in extended coordinates (X:Y:Z:T): x = X/Z, y = Y/Z, x*y = T/Z
    /// (Hisil, Wong, Carter, Dawson, "Twisted Edwards curves revisited", 2008).
    /// The helper shapes below exist to skip work in the double-and-add loop:
    /// a doubling needs only (X:Y:Z) (<see cref="ProjectivePoint"/>), both
    /// doubling and addition first yield a <see cref="CompletedPoint"/>
    /// ((X:Z), (Y:T)) that costs 3 or 4 multiplies to turn into either other
    /// shape, and an addend is kept as a <see cref="CachedPoint"/>
    /// (Y+X, Y-X, Z, 2dT) so those sums are paid once per table entry.
    /// The addition law used is the unified one for a = -1, which is complete
    /// on this curve (d is not a square): no special case for doubling or the identity.
    /// Variable time: verification handles public data only.
    /// </summary>
    internal struct EdwardsPoint
    {
        public FieldElement X, Y, Z, T;

        // ---- constants (32-byte little-endian, canonical) ----

        /// <summary>d = -121665/121666.</summary>
        private static ReadOnlySpan<byte> CurveD => new byte[]
        {
            0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
            0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
        };

        /// <summary>2d.</summary>
        private static ReadOnlySpan<byte> CurveD2 => new byte[]
        {
            0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83, 0x82, 0x9a, 0x14, 0xe0, 0x00,
            0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80, 0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24,
        };

        /// <summary>2^((p-1)/4), a square root of -1.</summary>
        private static ReadOnlySpan<byte> SqrtMinusOne => new byte[]
        {
            0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
            0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
        };

        /// <summary>x of the base point B (RFC 8032 5.1: 15112221349535400772501151409588531511454012693041857206046113283949847762202).</summary>
        private static ReadOnlySpan<byte> BaseX => new byte[]
        {
            0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
            0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
        };

        /// <summary>y of the base point B: 4/5 (and B's encoding, since x is even: 58 66 66 .. 66).</summary>
        private static ReadOnlySpan<byte> BaseY => new byte[]
        {
            0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        };

        public static void Identity(out EdwardsPoint p)
        {
            FieldElement.Zero(out p.X);
            FieldElement.One(out p.Y);
            FieldElement.One(out p.Z);
            FieldElement.Zero(out p.T);
        }

        /// <summary>The base point B of RFC 8032 5.1.</summary>
        public static void Base(out EdwardsPoint p)
        {
            FieldElement.FromBytes(out p.X, BaseX);
            FieldElement.FromBytes(out p.Y, BaseY);
            FieldElement.One(out p.Z);
            FieldElement.Mul(out p.T, in p.X, in p.Y);
        }

        /// <summary>
        /// Decodes 32 bytes per RFC 8032 5.1.3, strictly. Fails (returns false) when:
        /// y (the low 255 bits) is not below p; (y^2 - 1)/(d y^2 + 1) has no square
        /// root (no point has that y); or x = 0 with the sign bit set (-0 is not a
        /// canonical encoding). Otherwise x takes the parity the sign bit asks for.
        /// Small-order and mixed-order points decode: RFC 8032 does not exclude them.
        /// </summary>
        public static bool Decode(out EdwardsPoint p, ReadOnlySpan<byte> s)
        {
            Identity(out p);
            if (s.Length != 32 || !FieldElement.IsCanonicalEncoding(s)) return false;
            bool sign = (s[31] & 0x80) != 0;
            FieldElement.FromBytes(out FieldElement y, s);
            FieldElement.FromBytes(out FieldElement d, CurveD);

            // u = y^2 - 1, v = d y^2 + 1.
            FieldElement.Square(out FieldElement y2, in y);
            FieldElement.One(out FieldElement one);
            FieldElement.Sub(out FieldElement u, in y2, in one);
            FieldElement.Carry(out u, in u);
            FieldElement.Mul(out FieldElement v, in y2, in d);
            FieldElement.Add(out v, in v, in one);
            FieldElement.Carry(out v, in v);

            // Candidate root x = u v^3 (u v^7)^((p-5)/8) (RFC 8032 5.1.3 step 2).
            FieldElement.Square(out FieldElement v2, in v);
            FieldElement.Mul(out FieldElement v3, in v2, in v);
            FieldElement.Square(out FieldElement v6, in v3);
            FieldElement.Mul(out FieldElement v7, in v6, in v);
            FieldElement.Mul(out FieldElement uv7, in u, in v7);
            FieldElement.Pow22523(out FieldElement power, in uv7);
            FieldElement.Mul(out FieldElement uv3, in u, in v3);
            FieldElement.Mul(out FieldElement x, in uv3, in power);

            // Step 3: v x^2 = u: x is a root; = -u: x * sqrt(-1) is; otherwise none.
            FieldElement.Square(out FieldElement x2, in x);
            FieldElement.Mul(out FieldElement vx2, in v, in x2);
            if (!FieldElement.AreEqual(in vx2, in u))
            {
                FieldElement.Neg(out FieldElement minusU, in u);
                if (!FieldElement.AreEqual(in vx2, in minusU)) return false;
                FieldElement.FromBytes(out FieldElement i, SqrtMinusOne);
                FieldElement.Mul(out x, in x, in i);
            }

            // Step 4: the sign bit picks the root; x = 0 has only one, with sign 0.
            bool xIsZero = FieldElement.IsZero(in x);
            if (xIsZero && sign) return false;
            if (FieldElement.IsNegative(in x) != sign) FieldElement.Neg(out x, in x);

            p.X = x;
            p.Y = y;
            FieldElement.One(out p.Z);
            FieldElement.Mul(out p.T, in x, in y);
            return true;
        }

        /// <summary>
        /// True when 8p is the identity: p is one of the 8 points of small order
        /// (the curve group is 8 * L; these are the cofactor's points). Three doublings.
        /// </summary>
        public static bool HasSmallOrder(in EdwardsPoint p)
        {
            ToProjective(out ProjectivePoint q, in p);
            for (int i = 0; i < 3; i++)
            {
                Double(out CompletedPoint c, in q);
                c.ToProjective(out q);
            }
            // x = 0 means (0, 1), the identity, or (0, -1), of order 2, which no 8P can be.
            return FieldElement.IsZero(in q.X);
        }

        /// <summary>-p = (-X, Y, Z, -T).</summary>
        public static void Negate(out EdwardsPoint r, in EdwardsPoint p)
        {
            FieldElement.Neg(out r.X, in p.X);
            r.Y = p.Y;
            r.Z = p.Z;
            FieldElement.Neg(out r.T, in p.T);
        }

        public static void ToProjective(out ProjectivePoint r, in EdwardsPoint p)
        {
            r.X = p.X;
            r.Y = p.Y;
            r.Z = p.Z;
        }

        public static void ToCached(out CachedPoint r, in EdwardsPoint p)
        {
            FieldElement.FromBytes(out FieldElement d2, CurveD2);
            FieldElement.Add(out r.YPlusX, in p.Y, in p.X);
            FieldElement.Sub(out r.YMinusX, in p.Y, in p.X);
            r.Z = p.Z;
            FieldElement.Mul(out r.T2d, in p.T, in d2);
        }

        /// <summary>
        /// r = 2p (dbl-2008-hwcd, a = -1): A = X^2, B = Y^2, C = 2Z^2,
        /// E = (X+Y)^2 - A - B, G = B - A, F = G - C, H = -A - B;
        /// the result is x = E/G, y = H/F.
        /// </summary>
        public static void Double(out CompletedPoint r, in ProjectivePoint p)
        {
            FieldElement.Square(out FieldElement a, in p.X);
            FieldElement.Square(out FieldElement b, in p.Y);
            FieldElement.Square2(out FieldElement c, in p.Z);
            FieldElement.Add(out FieldElement xy, in p.X, in p.Y);
            FieldElement.Square(out FieldElement xy2, in xy);
            FieldElement.Add(out FieldElement aPlusB, in a, in b);
            FieldElement.Sub(out r.X, in xy2, in aPlusB);     // E
            FieldElement.Sub(out r.Z, in b, in a);            // G
            FieldElement.Sub(out r.T, in r.Z, in c);          // F
            FieldElement.Neg(out r.Y, in aPlusB);             // H
        }

        /// <summary>
        /// r = p + q (add-2008-hwcd-3, a = -1, k = 2d): A = (Y1-X1)(Y2-X2),
        /// B = (Y1+X1)(Y2+X2), C = T1 2d T2, D = 2 Z1 Z2, E = B - A, F = D - C,
        /// G = D + C, H = B + A; the result is x = E/G, y = H/F.
        /// </summary>
        public static void Add(out CompletedPoint r, in EdwardsPoint p, in CachedPoint q)
        {
            FieldElement.Sub(out FieldElement yMinusX, in p.Y, in p.X);
            FieldElement.Add(out FieldElement yPlusX, in p.Y, in p.X);
            FieldElement.Mul(out FieldElement a, in yMinusX, in q.YMinusX);
            FieldElement.Mul(out FieldElement b, in yPlusX, in q.YPlusX);
            FieldElement.Mul(out FieldElement c, in p.T, in q.T2d);
            FieldElement.Mul(out FieldElement zz, in p.Z, in q.Z);
            FieldElement.Add(out FieldElement d, in zz, in zz);
            FieldElement.Sub(out r.X, in b, in a);            // E
            FieldElement.Add(out r.Z, in d, in c);            // G
            FieldElement.Sub(out r.T, in d, in c);            // F
            FieldElement.Add(out r.Y, in b, in a);            // H
        }

        /// <summary>r = p - q: <see cref="Add"/> with -q = (Y2-X2, Y2+X2, Z2, -2dT2) read from the same cache.</summary>
        public static void Subtract(out CompletedPoint r, in EdwardsPoint p, in CachedPoint q)
        {
            FieldElement.Sub(out FieldElement yMinusX, in p.Y, in p.X);
            FieldElement.Add(out FieldElement yPlusX, in p.Y, in p.X);
            FieldElement.Mul(out FieldElement a, in yMinusX, in q.YPlusX);
            FieldElement.Mul(out FieldElement b, in yPlusX, in q.YMinusX);
            FieldElement.Mul(out FieldElement c, in p.T, in q.T2d);
            FieldElement.Mul(out FieldElement zz, in p.Z, in q.Z);
            FieldElement.Add(out FieldElement d, in zz, in zz);
            FieldElement.Sub(out r.X, in b, in a);            // E
            FieldElement.Sub(out r.Z, in d, in c);            // G = D + (-C)
            FieldElement.Add(out r.T, in d, in c);            // F = D - (-C)
            FieldElement.Add(out r.Y, in b, in a);            // H
        }

        /// <summary>
        /// The 8 odd multiples P, 3P, .., 15P as cached points, for digits of a
        /// width-5 NAF (|digit| = 2i + 1 uses entry i).
        /// </summary>
        public static void OddMultiples(Span<CachedPoint> table, in EdwardsPoint p)
        {
            ToProjective(out ProjectivePoint pp, in p);
            Double(out CompletedPoint c, in pp);
            c.ToExtended(out EdwardsPoint twice);
            ToCached(out table[0], in p);
            for (int i = 1; i < 8; i++)
            {
                Add(out c, in twice, in table[i - 1]);
                c.ToExtended(out EdwardsPoint next);
                ToCached(out table[i], in next);
            }
        }

        /// <summary>
        /// r = a*P + b*B, variable time (Straus-Shamir with two width-5 NAFs):
        /// one shared chain of doublings from the top digit down, adding or
        /// subtracting a table entry at every non-zero digit of either scalar.
        /// Both scalars are 32-byte little-endian numbers below 2^253.
        /// </summary>
        public static void DoubleScalarMultiplyBase(out ProjectivePoint r, ReadOnlySpan<byte> a, in EdwardsPoint p, ReadOnlySpan<byte> b)
        {
            Span<sbyte> aDigits = stackalloc sbyte[256];
            Span<sbyte> bDigits = stackalloc sbyte[256];
            Scalar.NonAdjacentForm(a, aDigits);
            Scalar.NonAdjacentForm(b, bDigits);
            Span<CachedPoint> pTable = stackalloc CachedPoint[8];
            Span<CachedPoint> bTable = stackalloc CachedPoint[8];
            OddMultiples(pTable, in p);
            Base(out EdwardsPoint basePoint);
            OddMultiples(bTable, in basePoint);

            Identity(out EdwardsPoint identity);
            ToProjective(out r, in identity);
            int i = 255;
            while (i >= 0 && aDigits[i] == 0 && bDigits[i] == 0) i--;
            for (; i >= 0; i--)
            {
                Double(out CompletedPoint t, in r);
                int da = aDigits[i], db = bDigits[i];
                if (da != 0)
                {
                    t.ToExtended(out EdwardsPoint u);
                    if (da > 0) Add(out t, in u, in pTable[da >> 1]);
                    else Subtract(out t, in u, in pTable[(-da) >> 1]);
                }
                if (db != 0)
                {
                    t.ToExtended(out EdwardsPoint u);
                    if (db > 0) Add(out t, in u, in bTable[db >> 1]);
                    else Subtract(out t, in u, in bTable[(-db) >> 1]);
                }
                t.ToProjective(out r);
            }
        }

        /// <summary>The canonical 32-byte encoding (RFC 8032 5.1.2): y, with x's low bit in bit 255.</summary>
        public static void Encode(Span<byte> s, in ProjectivePoint p)
        {
            FieldElement.Invert(out FieldElement zInverse, in p.Z);
            FieldElement.Mul(out FieldElement x, in p.X, in zInverse);
            FieldElement.Mul(out FieldElement y, in p.Y, in zInverse);
            FieldElement.ToBytes(s, in y);
            if (FieldElement.IsNegative(in x)) s[31] |= 0x80;
        }

        public static void Encode(Span<byte> s, in EdwardsPoint p)
        {
            ToProjective(out ProjectivePoint pp, in p);
            Encode(s, in pp);
        }
    }

    /// <summary>(X:Y:Z) with x = X/Z, y = Y/Z: all a doubling reads.</summary>
    internal struct ProjectivePoint
    {
        public FieldElement X, Y, Z;
    }

    /// <summary>The "completed" result of a doubling or addition: x = X/Z, y = Y/T.</summary>
    internal struct CompletedPoint
    {
        public FieldElement X, Y, Z, T;

        /// <summary>(XT : YZ : ZT : XY), 4 multiplies.</summary>
        public void ToExtended(out EdwardsPoint r)
        {
            FieldElement.Mul(out r.X, in X, in T);
            FieldElement.Mul(out r.Y, in Y, in Z);
            FieldElement.Mul(out r.Z, in Z, in T);
            FieldElement.Mul(out r.T, in X, in Y);
        }

        /// <summary>(XT : YZ : ZT), 3 multiplies.</summary>
        public void ToProjective(out ProjectivePoint r)
        {
            FieldElement.Mul(out r.X, in X, in T);
            FieldElement.Mul(out r.Y, in Y, in Z);
            FieldElement.Mul(out r.Z, in Z, in T);
        }
    }

    /// <summary>An addend prepared once: (Y+X, Y-X, Z, 2dT).</summary>
    internal struct CachedPoint
    {
        public FieldElement YPlusX, YMinusX, Z, T2d;
    }
}
