using System.Numerics;
using Molt.Update.Trust;
using Xunit;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Molt.Tests.Trust;

/// <summary>
/// The kernel's Ed25519 verifier (update/Trust/Ed25519.cs): RFC 8032 7.1 vectors,
/// agreement with BouncyCastle on signatures it makes, refusal of tampered and
/// non-canonical input with the precise reason, and a bounded fuzzer.
/// </summary>
public class Ed25519Tests
{
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;
    private static readonly BigInteger L = (BigInteger.One << 252) + BigInteger.Parse("27742317777372353535851937790883648493");

    private static byte[] Hex(string s) => Convert.FromHexString(s);

    private static (byte[] Key, byte[] Message, byte[] Signature) Vector(string name)
    {
        var v = Rfc8032Vectors.Get(name);
        return (Hex(v.PublicKey), Hex(v.Message), Hex(v.Signature));
    }

    private static byte[] BcSign(byte[] secret, byte[] message)
    {
        var signature = new byte[64];
        BcEd25519.Sign(secret, 0, message, 0, message.Length, signature, 0);
        return signature;
    }

    private static byte[] BcPublicKey(byte[] secret)
    {
        var key = new byte[32];
        BcEd25519.GeneratePublicKey(secret, 0, key, 0);
        return key;
    }

    private static bool BcVerify(byte[] key, byte[] message, byte[] signature)
        => BcEd25519.Verify(signature, 0, key, 0, message, 0, message.Length);

    private static byte[] Flip(byte[] data, int bit)
    {
        var copy = (byte[])data.Clone();
        copy[bit >> 3] ^= (byte)(1 << (bit & 7));
        return copy;
    }

    // ---- RFC 8032 section 7.1 ----

    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Rfc8032_vector_is_what_bouncycastle_makes_from_the_secret_key(string name)
    {
        var v = Rfc8032Vectors.Get(name);
        byte[] secret = Hex(v.SecretKey);
        Assert.Equal(v.PublicKey, Convert.ToHexString(BcPublicKey(secret)).ToLowerInvariant());
        Assert.Equal(v.Signature, Convert.ToHexString(BcSign(secret, Hex(v.Message))).ToLowerInvariant());
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Rfc8032_vector_verifies(string name)
    {
        var (key, message, signature) = Vector(name);
        Assert.Equal(Ed25519Result.Valid, Ed25519.Check(key, message, signature));
        Assert.True(Ed25519.Verify(key, message, signature));
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Rfc8032_vector_fails_with_any_one_bit_flipped_in_signature_or_key(string name)
    {
        var (key, message, signature) = Vector(name);
        for (int bit = 0; bit < 512; bit++)
            Assert.True(!Ed25519.Verify(key, message, Flip(signature, bit)), $"signature bit {bit}");
        for (int bit = 0; bit < 256; bit++)
            Assert.True(!Ed25519.Verify(Flip(key, bit), message, signature), $"key bit {bit}");
        if (message.Length > 0)
            for (int bit = 0; bit < Math.Min(message.Length * 8, 512); bit++)
                Assert.True(!Ed25519.Verify(key, Flip(message, bit), signature), $"message bit {bit}");
        var longer = message.Append((byte)0).ToArray();
        Assert.False(Ed25519.Verify(key, longer, signature));
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors.Names), MemberType = typeof(Rfc8032Vectors))]
    public void Rfc8032_vector_verifies_incrementally_in_any_split(string name)
    {
        var (key, message, signature) = Vector(name);
        var rng = new Random(name.Length);
        for (int trial = 0; trial < 20; trial++)
        {
            var v = Ed25519Verifier.Begin(key, signature);
            int offset = 0;
            while (offset < message.Length)
            {
                int n = rng.Next(0, message.Length - offset + 1);
                v.Update(message.AsSpan(offset, n));
                offset += n;
            }
            Assert.Equal(Ed25519Result.Valid, v.Finish());
        }
    }

    // ---- against BouncyCastle ----

    [Fact]
    public void Random_keys_and_messages_signed_by_bouncycastle_verify_and_any_flipped_bit_fails()
    {
        var rng = new Random(2017);
        var secret = new byte[32];
        for (int i = 0; i < 300; i++)
        {
            rng.NextBytes(secret);
            var message = new byte[rng.Next(0, i % 10 == 0 ? 5000 : 200)];
            rng.NextBytes(message);
            byte[] key = BcPublicKey(secret), signature = BcSign(secret, message);

            Assert.Equal(Ed25519Result.Valid, Ed25519.Check(key, message, signature));

            if (message.Length > 0)
            {
                byte[] m = Flip(message, rng.Next(message.Length * 8));
                Assert.Equal(Ed25519Result.BadSignature, Ed25519.Check(key, m, signature));
            }
            byte[] badR = Flip(signature, rng.Next(256));
            Assert.False(Ed25519.Verify(key, message, badR), $"R flipped, case {i}");
            Assert.False(BcVerify(key, message, badR));
            byte[] badS = Flip(signature, 256 + rng.Next(256));
            Assert.False(Ed25519.Verify(key, message, badS), $"S flipped, case {i}");
            byte[] badKey = Flip(key, rng.Next(256));
            Assert.False(Ed25519.Verify(badKey, message, signature), $"key flipped, case {i}");
        }
    }

    // ---- encodings refused, each with its reason ----

    private static readonly (byte[] Key, byte[] Message, byte[] Signature) Good = Vector("TEST 2");

    private static byte[] WithS(byte[] signature, BigInteger s)
    {
        var copy = (byte[])signature.Clone();
        CurveMathTests.ToBytes(s).CopyTo(copy, 32);
        return copy;
    }

    private static byte[] WithR(byte[] signature, byte[] r)
    {
        var copy = (byte[])signature.Clone();
        r.CopyTo(copy, 0);
        return copy;
    }

    [Fact]
    public void S_at_or_above_L_is_refused_as_non_canonical()
    {
        var (key, message, signature) = Good;
        BigInteger s = CurveMathTests.FromBytes(signature.AsSpan(32));
        // S + L satisfies the group equation exactly like S: only the range check refuses it.
        Assert.Equal(Ed25519Result.NonCanonicalS, Ed25519.Check(key, message, WithS(signature, s + L)));
        Assert.False(BcVerify(key, message, WithS(signature, s + L)));
        Assert.Equal(Ed25519Result.NonCanonicalS, Ed25519.Check(key, message, WithS(signature, s + 2 * L)));
        Assert.Equal(Ed25519Result.NonCanonicalS, Ed25519.Check(key, message, WithS(signature, L)));
        Assert.Equal(Ed25519Result.NonCanonicalS, Ed25519.Check(key, message, WithS(signature, (BigInteger.One << 256) - 1)));
        Assert.Equal(Ed25519Result.BadSignature, Ed25519.Check(key, message, WithS(signature, L - 1)));
        Assert.Equal(Ed25519Result.BadSignature, Ed25519.Check(key, message, WithS(signature, 0)));
    }

    [Fact]
    public void Public_keys_that_do_not_decode_are_refused()
    {
        var (_, message, signature) = Good;
        // y = p and y = p + 1: non-canonical aliases of y = 0 (a point of order 4) and y = 1 (the identity).
        Assert.Equal(Ed25519Result.MalformedPublicKey, Ed25519.Check(CurveMathTests.ToBytes(P), message, signature));
        Assert.Equal(Ed25519Result.MalformedPublicKey, Ed25519.Check(CurveMathTests.ToBytes(P + 1), message, signature));
        Assert.Equal(Ed25519Result.MalformedPublicKey, Ed25519.Check(CurveMathTests.ToBytes((BigInteger.One << 255) - 1), message, signature));
        // y = 1 with the sign bit set: x = 0 has no negative.
        Assert.Equal(Ed25519Result.MalformedPublicKey, Ed25519.Check(Hex("0100000000000000000000000000000000000000000000000000000000000080"), message, signature));
        // y = 2 is on no point: (y^2 - 1)/(d y^2 + 1) is not a square.
        Assert.Equal(Ed25519Result.MalformedPublicKey, Ed25519.Check(CurveMathTests.ToBytes(2), message, signature));
        // The same y with a canonical encoding of a real point decodes (control).
        Assert.Equal(Ed25519Result.SmallOrderPublicKey, Ed25519.Check(CurveMathTests.ToBytes(0), message, signature));
    }

    /// <summary>The 8 points of small order (identity, order 2, two of order 4, four of order 8), canonical encodings.</summary>
    public static TheoryData<string> SmallOrderPoints() => new()
    {
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    };

    [Theory]
    [MemberData(nameof(SmallOrderPoints))]
    public void Small_order_public_keys_are_refused(string point)
    {
        byte[] key = Hex(point);
        Assert.True(EdwardsPoint.Decode(out _, key), "it is a valid encoding");
        var (_, message, signature) = Good;
        Assert.Equal(Ed25519Result.SmallOrderPublicKey, Ed25519.Check(key, message, signature));
        // The classic forgery: R = identity, S = 0 "verifies" any message under the identity key.
        var forged = new byte[64];
        forged[0] = 1;
        Assert.Equal(Ed25519Result.SmallOrderPublicKey, Ed25519.Check(key, "anything"u8, forged));
    }

    [Fact]
    public void R_that_does_not_decode_is_refused()
    {
        var (key, message, signature) = Good;
        Assert.Equal(Ed25519Result.MalformedR, Ed25519.Check(key, message, WithR(signature, CurveMathTests.ToBytes(P))));
        Assert.Equal(Ed25519Result.MalformedR, Ed25519.Check(key, message, WithR(signature, CurveMathTests.ToBytes(P + 5))));
        Assert.Equal(Ed25519Result.MalformedR, Ed25519.Check(key, message, WithR(signature, CurveMathTests.ToBytes(2))));
        Assert.Equal(Ed25519Result.MalformedR, Ed25519.Check(key, message, WithR(signature, Hex("0100000000000000000000000000000000000000000000000000000000000080"))));
        // A valid point that is simply the wrong R.
        Assert.Equal(Ed25519Result.BadSignature, Ed25519.Check(key, message, WithR(signature, Hex("5866666666666666666666666666666666666666666666666666666666666666"))));
    }

    [Fact]
    public void Wrong_lengths_are_refused()
    {
        var (key, message, signature) = Good;
        Assert.Equal(Ed25519Result.WrongKeyLength, Ed25519.Check(key.AsSpan(0, 31), message, signature));
        Assert.Equal(Ed25519Result.WrongKeyLength, Ed25519.Check(key.Append((byte)0).ToArray(), message, signature));
        Assert.Equal(Ed25519Result.WrongKeyLength, Ed25519.Check(ReadOnlySpan<byte>.Empty, message, signature));
        Assert.Equal(Ed25519Result.WrongSignatureLength, Ed25519.Check(key, message, signature.AsSpan(0, 63)));
        Assert.Equal(Ed25519Result.WrongSignatureLength, Ed25519.Check(key, message, signature.Append((byte)0).ToArray()));
        Assert.Equal(Ed25519Result.WrongKeyLength, default(Ed25519Verifier).Finish());
    }

    // ---- fuzzing: 12,000 mutated inputs, fixed seed ----

    [Fact]
    public void Fuzzed_inputs_never_crash_and_agree_with_bouncycastle()
    {
        var rng = new Random(0x25519);
        var secrets = new List<(byte[] Key, byte[] Message, byte[] Signature)>();
        var secret = new byte[32];
        for (int i = 0; i < 16; i++)
        {
            rng.NextBytes(secret);
            var m = new byte[rng.Next(0, 100)];
            rng.NextBytes(m);
            secrets.Add((BcPublicKey(secret), m, BcSign(secret, m)));
        }
        int valid = 0, refused = 0;
        var reasons = new HashSet<Ed25519Result>();
        for (int i = 0; i < 12_000; i++)
        {
            var (k0, m0, s0) = secrets[rng.Next(secrets.Count)];
            byte[] key = (byte[])k0.Clone(), message = (byte[])m0.Clone(), signature = (byte[])s0.Clone();
            switch (rng.Next(10))
            {
                case 0: break; // unchanged: must verify
                case 1: for (int f = rng.Next(1, 4); f > 0; f--) signature[rng.Next(64)] ^= (byte)(1 << rng.Next(8)); break;
                case 2: for (int f = rng.Next(1, 4); f > 0; f--) key[rng.Next(32)] ^= (byte)(1 << rng.Next(8)); break;
                case 3: if (message.Length > 0) message[rng.Next(message.Length)] ^= (byte)(1 << rng.Next(8)); else message = new byte[] { 0 }; break;
                case 4: rng.NextBytes(signature); break;
                case 5: rng.NextBytes(key); break;
                case 6: // S at or just above L, or the top bits set
                    CurveMathTests.ToBytes(L + rng.Next(0, 1000)).CopyTo(signature, 32);
                    if (rng.Next(2) == 0) signature[63] |= (byte)(0x10 << rng.Next(4));
                    break;
                case 7: // y at or above p in R or A, either sign
                    {
                        byte[] y = CurveMathTests.ToBytes(P + rng.Next(0, 19));
                        if (rng.Next(2) == 0) y[31] |= 0x80;
                        y.CopyTo(rng.Next(2) == 0 ? key : signature, 0);
                        break;
                    }
                case 8: // wrong lengths
                    if (rng.Next(2) == 0) key = key.Take(rng.Next(0, 40)).Concat(new byte[Math.Max(0, rng.Next(-8, 8))]).ToArray();
                    else signature = signature.Take(rng.Next(0, 70)).Concat(new byte[Math.Max(0, rng.Next(-8, 8))]).ToArray();
                    break;
                default: // everything random
                    rng.NextBytes(key); rng.NextBytes(signature); message = new byte[rng.Next(0, 64)]; rng.NextBytes(message); break;
            }

            Ed25519Result result;
            if (rng.Next(2) == 0) result = Ed25519.Check(key, message, signature);
            else
            {
                var v = Ed25519Verifier.Begin(key, signature);
                int split = rng.Next(0, message.Length + 1);
                v.Update(message.AsSpan(0, split));
                v.Update(message.AsSpan(split));
                result = v.Finish();
            }
            reasons.Add(result);
            if (result == Ed25519Result.Valid) valid++; else refused++;
            if (key.Length == 32 && signature.Length == 64)
                Assert.True(BcVerify(key, message, signature) == (result == Ed25519Result.Valid), $"case {i}: ours {result}");
            else
                Assert.True(result is Ed25519Result.WrongKeyLength or Ed25519Result.WrongSignatureLength, $"case {i}: {result}");
        }
        Assert.True(valid > 1000 && refused > 8000, $"{valid} valid, {refused} refused");
        foreach (var expected in new[] { Ed25519Result.Valid, Ed25519Result.BadSignature, Ed25519Result.MalformedPublicKey, Ed25519Result.MalformedR,
                                         Ed25519Result.NonCanonicalS, Ed25519Result.WrongKeyLength, Ed25519Result.WrongSignatureLength })
            Assert.Contains(expected, reasons);
    }
}
