using System.Numerics;
using Molt.Update.Trust;
using Xunit;

namespace Molt.Tests.Trust;

/// <summary>
/// The arithmetic under the Ed25519 verifier (field mod 2^255 - 19, scalars mod L,
/// points), each operation against System.Numerics.BigInteger on random and edge values.
/// </summary>
public class CurveMathTests
{
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;
    private static readonly BigInteger L = (BigInteger.One << 252) + BigInteger.Parse("27742317777372353535851937790883648493");

    internal static byte[] ToBytes(BigInteger v, int length = 32)
    {
        var b = new byte[length];
        v.ToByteArray(isUnsigned: true, isBigEndian: false).CopyTo(b, 0);
        return b;
    }

    internal static BigInteger FromBytes(ReadOnlySpan<byte> b) => new BigInteger(b, isUnsigned: true, isBigEndian: false);

    private static BigInteger Mod(BigInteger v, BigInteger m) => ((v % m) + m) % m;

    private static BigInteger RandomField(Random rng)
    {
        var b = new byte[32];
        rng.NextBytes(b);
        return FromBytes(b) % P;
    }

    private static FieldElement Fe(BigInteger v)
    {
        FieldElement.FromBytes(out FieldElement f, ToBytes(Mod(v, P)));
        return f;
    }

    private static BigInteger Value(in FieldElement f)
    {
        var b = new byte[32];
        FieldElement.ToBytes(b, in f);
        BigInteger v = FromBytes(b);
        Assert.True(v < P, "ToBytes gives the canonical value");
        return v;
    }

    /// <summary>Random field values, with the edges that break carries: 0, 1, p-1, 2^255-20, 2^k, 2^k-1.</summary>
    private static IEnumerable<BigInteger> FieldSamples(int count)
    {
        var rng = new Random(25519);
        yield return 0; yield return 1; yield return 2; yield return P - 1; yield return P - 2; yield return (BigInteger.One << 254);
        for (int k = 1; k < 255; k += 17) { yield return BigInteger.One << k; yield return (BigInteger.One << k) - 1; }
        var buffer = new byte[33];
        for (int i = 0; i < count; i++)
        {
            rng.NextBytes(buffer);
            buffer[32] = 0;
            yield return new BigInteger(buffer) % P;
        }
    }

    [Fact]
    public void Field_bytes_round_trip_and_non_canonical_inputs_reduce()
    {
        foreach (var v in FieldSamples(300)) Assert.Equal(v, Value(Fe(v)));
        // 32 bytes whose low 255 bits are p..2^255-1 load as that value mod p; bit 255 is ignored.
        for (int extra = 0; extra < 19; extra++)
        {
            var b = ToBytes(P + extra);
            Assert.False(FieldElement.IsCanonicalEncoding(b));
            FieldElement.FromBytes(out FieldElement f, b);
            Assert.Equal(new BigInteger(extra), Value(f));
            b[31] |= 0x80;
            FieldElement.FromBytes(out f, b);
            Assert.Equal(new BigInteger(extra), Value(f));
        }
        Assert.True(FieldElement.IsCanonicalEncoding(ToBytes(P - 1)));
        var withSign = ToBytes(P - 1); withSign[31] |= 0x80;
        Assert.True(FieldElement.IsCanonicalEncoding(withSign), "the sign bit is not part of y");
    }

    [Fact]
    public void Field_operations_match_bigintegers()
    {
        var samples = FieldSamples(120).ToArray();
        var rng = new Random(7);
        foreach (var a in samples)
        {
            BigInteger b = samples[rng.Next(samples.Length)];
            FieldElement fa = Fe(a), fb = Fe(b);
            FieldElement.Mul(out FieldElement product, in fa, in fb);
            Assert.Equal(Mod(a * b, P), Value(product));
            FieldElement.Square(out FieldElement square, in fa);
            Assert.Equal(Mod(a * a, P), Value(square));
            FieldElement.Square2(out FieldElement square2, in fa);
            Assert.Equal(Mod(2 * a * a, P), Value(square2));
            FieldElement.Add(out FieldElement sum, in fa, in fb);
            Assert.Equal(Mod(a + b, P), Value(sum));
            FieldElement.Sub(out FieldElement difference, in fa, in fb);
            Assert.Equal(Mod(a - b, P), Value(difference));
            FieldElement.Neg(out FieldElement negated, in fa);
            Assert.Equal(Mod(-a, P), Value(negated));
            FieldElement.Invert(out FieldElement inverse, in fa);
            Assert.Equal(a.IsZero ? 0 : BigInteger.ModPow(a, P - 2, P), Value(inverse));
            FieldElement.Pow22523(out FieldElement power, in fa);
            Assert.Equal(BigInteger.ModPow(a, (P - 5) / 8, P), Value(power));
            Assert.Equal(a.IsZero, FieldElement.IsZero(in fa));
            Assert.Equal(!a.IsEven, FieldElement.IsNegative(in fa));
        }
    }

    [Fact]
    public void Field_multiply_keeps_its_bounds_for_sums_of_three_reduced_values()
    {
        // The point formulas multiply values up to three reduced elements added
        // without a carry; products of the largest such limbs must stay exact.
        var rng = new Random(3);
        for (int i = 0; i < 500; i++)
        {
            BigInteger[] v = new BigInteger[6];
            FieldElement[] f = new FieldElement[6];
            for (int k = 0; k < 6; k++)
            {
                v[k] = i < 20 ? P - 1 - k : RandomField(rng);
                FieldElement.Mul(out f[k], Fe(v[k]), Fe(1)); // a multiply's output: the "reduced" bound
            }
            FieldElement.Add(out FieldElement x, in f[0], in f[1]);
            FieldElement.Sub(out x, in x, in f[2]);
            FieldElement.Add(out FieldElement y, in f[3], in f[4]);
            FieldElement.Add(out y, in y, in f[5]);
            FieldElement.Mul(out FieldElement product, in x, in y);
            Assert.Equal(Mod((v[0] + v[1] - v[2]) * (v[3] + v[4] + v[5]), P), Value(product));
            FieldElement.Square(out FieldElement square, in y);
            Assert.Equal(Mod(BigInteger.Pow(v[3] + v[4] + v[5], 2), P), Value(square));
        }
    }

    [Fact]
    public void Scalar_reduce_matches_bigintegers()
    {
        var rng = new Random(252);
        var inputs = new List<BigInteger>
        {
            0, 1, L - 1, L, L + 1, 2 * L - 1, 2 * L, (BigInteger.One << 252) - 1, BigInteger.One << 252, BigInteger.One << 253,
            (BigInteger.One << 512) - 1, (BigInteger.One << 511), ((BigInteger.One << 512) - 1) / L * L, ((BigInteger.One << 512) - 1) / L * L - 1,
        };
        for (int k = 0; k < 512; k += 7) { inputs.Add(BigInteger.One << k); inputs.Add((BigInteger.One << k) - 1); inputs.Add(L * (BigInteger.One << k) % (BigInteger.One << 512)); }
        var buffer = new byte[64];
        for (int i = 0; i < 3000; i++) { rng.NextBytes(buffer); inputs.Add(FromBytes(buffer)); }
        // Values just below and above multiples of L (where a wrong final correction shows).
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(buffer);
            BigInteger m = FromBytes(buffer) / L * L;
            inputs.Add(m); inputs.Add(m - 1); if (m + 1 < (BigInteger.One << 512)) inputs.Add(m + 1);
            if (m + (BigInteger.One << 252) < (BigInteger.One << 512)) inputs.Add(m + (BigInteger.One << 252));
        }
        var result = new byte[32];
        foreach (var x in inputs)
        {
            Scalar.Reduce(ToBytes(x, 64), result);
            Assert.True(x % L == FromBytes(result), $"reduce({x:X})");
        }
    }

    [Fact]
    public void Scalar_canonical_check_is_exactly_below_L()
    {
        Assert.True(Scalar.IsCanonical(ToBytes(0)));
        Assert.True(Scalar.IsCanonical(ToBytes(L - 1)));
        Assert.False(Scalar.IsCanonical(ToBytes(L)));
        Assert.False(Scalar.IsCanonical(ToBytes(L + 1)));
        Assert.True(Scalar.IsCanonical(ToBytes((BigInteger.One << 252) - 1)));
        Assert.False(Scalar.IsCanonical(ToBytes((BigInteger.One << 253))));
        Assert.False(Scalar.IsCanonical(ToBytes((BigInteger.One << 256) - 1)));
    }

    [Fact]
    public void Naf_digits_are_odd_small_spaced_and_sum_to_the_scalar()
    {
        var rng = new Random(5);
        var buffer = new byte[64];
        var scalar = new byte[32];
        var naf = new sbyte[256];
        var samples = new List<BigInteger> { 0, 1, 15, 16, 31, 32, L - 1, (BigInteger.One << 252) - 1, (BigInteger.One << 253) - 1 };
        for (int i = 0; i < 1000; i++) { rng.NextBytes(buffer); samples.Add(FromBytes(buffer) % L); }
        foreach (var s in samples)
        {
            Scalar.NonAdjacentForm(ToBytes(s), naf);
            BigInteger sum = 0;
            int last = -100;
            for (int i = 0; i < 256; i++)
            {
                if (naf[i] == 0) continue;
                Assert.True((naf[i] & 1) != 0 && naf[i] >= -15 && naf[i] <= 15, $"digit {naf[i]} at {i}");
                Assert.True(i - last >= 5, "non-zero digits are at least 5 apart");
                last = i;
                sum += naf[i] * (BigInteger.One << i);
            }
            Assert.Equal(s, sum);
        }
    }

    [Fact]
    public void Base_point_encodes_as_in_rfc8032_and_L_times_B_is_the_identity()
    {
        EdwardsPoint.Base(out EdwardsPoint b);
        var encoded = new byte[32];
        EdwardsPoint.Encode(encoded, in b);
        Assert.Equal("5866666666666666666666666666666666666666666666666666666666666666", Convert.ToHexString(encoded).ToLowerInvariant());

        // 0*P + (L-1)*B = -B, whose encoding differs from B's only in the sign bit.
        EdwardsPoint.Identity(out EdwardsPoint identity);
        EdwardsPoint.DoubleScalarMultiplyBase(out ProjectivePoint r, ToBytes(0), in identity, ToBytes(L - 1));
        EdwardsPoint.Encode(encoded, in r);
        Assert.Equal("58666666666666666666666666666666666666666666666666666666666666e6", Convert.ToHexString(encoded).ToLowerInvariant());

        // 1*B + 1*B = 2B, and 2*B + 0 = 2B: the two halves agree.
        EdwardsPoint.DoubleScalarMultiplyBase(out r, ToBytes(1), in b, ToBytes(1));
        var twice = new byte[32];
        EdwardsPoint.Encode(twice, in r);
        EdwardsPoint.DoubleScalarMultiplyBase(out r, ToBytes(0), in b, ToBytes(2));
        EdwardsPoint.Encode(encoded, in r);
        Assert.Equal(Convert.ToHexString(twice), Convert.ToHexString(encoded));
    }

    [Fact]
    public void Points_decode_and_re_encode_to_the_same_bytes()
    {
        var rng = new Random(11);
        var secret = new byte[32];
        var publicKey = new byte[32];
        var encoded = new byte[32];
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(secret);
            Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(secret, 0, publicKey, 0);
            Assert.True(EdwardsPoint.Decode(out EdwardsPoint p, publicKey));
            EdwardsPoint.Encode(encoded, in p);
            Assert.Equal(Convert.ToHexString(publicKey), Convert.ToHexString(encoded));
        }
    }
}
