using System.Numerics;
using System.Text;
using Molt.Update.Trust;
using Xunit;

namespace Molt.Tests.Trust;

/// <summary>The kernel's SHA-512 (update/Trust/Sha512.cs) against FIPS 180-4 examples and the BCL's SHA512.</summary>
public class Sha512Tests
{
    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexString(b).ToLowerInvariant();

    private static string OneShot(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[64];
        Sha512.Hash(data, digest);
        return Hex(digest);
    }

    [Theory]
    [InlineData("", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")]
    [InlineData("abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")]
    // FIPS 180-4 example, the 896-bit (two-block) message.
    [InlineData("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")]
    // The 448-bit message of the SHA-256 examples: 56 bytes, so the length field spills into a second block.
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445")]
    public void Nist_examples(string message, string expected)
    {
        Assert.Equal(expected, OneShot(Encoding.ASCII.GetBytes(message)));
    }

    [Fact]
    public void One_million_a()
    {
        const string expected = "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";
        var data = new byte[1_000_000];
        Array.Fill(data, (byte)'a');
        Assert.Equal(expected, OneShot(data));

        // The same fed in odd pieces (1, 2, 3, ... bytes at a time).
        Sha512 h = Sha512.Create();
        int offset = 0;
        for (int piece = 1; offset < data.Length; piece = piece % 300 + 1)
        {
            int n = Math.Min(piece, data.Length - offset);
            h.Update(data.AsSpan(offset, n));
            offset += n;
        }
        Span<byte> digest = stackalloc byte[64];
        h.Final(digest);
        Assert.Equal(expected, Hex(digest));
    }

    [Fact]
    public void Every_length_around_the_block_and_padding_edges_matches_the_bcl()
    {
        var rng = new Random(512);
        for (int length = 0; length <= 400; length++)
        {
            var data = new byte[length];
            rng.NextBytes(data);
            Assert.True(Hex(System.Security.Cryptography.SHA512.HashData(data)) == OneShot(data), $"length {length}");
        }
    }

    [Fact]
    public void Random_inputs_split_at_random_points_match_the_bcl()
    {
        var rng = new Random(8032);
        Span<byte> digest = stackalloc byte[64];
        for (int trial = 0; trial < 500; trial++)
        {
            var data = new byte[rng.Next(0, trial < 450 ? 1200 : 20000)];
            rng.NextBytes(data);
            string expected = Hex(System.Security.Cryptography.SHA512.HashData(data));

            Sha512 h = Sha512.Create();
            int offset = 0;
            while (offset < data.Length)
            {
                int n = rng.Next(0, Math.Min(data.Length - offset, 300) + 1); // zero-length updates included
                h.Update(data.AsSpan(offset, n));
                offset += n;
            }
            h.Final(digest);
            Assert.True(expected == Hex(digest), $"trial {trial}, {data.Length} bytes");
        }
    }

    [Fact]
    public void Final_resets_and_a_copy_forks_the_state()
    {
        Span<byte> first = stackalloc byte[64], second = stackalloc byte[64], forked = stackalloc byte[64];
        Sha512 h = Sha512.Create();
        h.Update("ab"u8);
        Sha512 fork = h;          // a struct copy hashes on independently
        h.Update("c"u8);
        h.Final(first);
        h.Update("abc"u8);        // Final reset it
        h.Final(second);
        fork.Update("c"u8);
        fork.Final(forked);
        Assert.Equal(OneShot("abc"u8), Hex(first));
        Assert.Equal(Hex(first), Hex(second));
        Assert.Equal(Hex(first), Hex(forked));
    }

    [Fact]
    public void Round_constants_are_the_cube_root_fractions_of_the_first_80_primes()
    {
        ReadOnlySpan<byte> table = Sha512.RoundConstants;
        Assert.Equal(640, table.Length);
        int found = 0;
        for (int candidate = 2; found < 80; candidate++)
        {
            bool prime = true;
            for (int d = 2; d * d <= candidate; d++) if (candidate % d == 0) { prime = false; break; }
            if (!prime) continue;
            // floor(cbrt(p) * 2^64) mod 2^64 = the first 64 fraction bits.
            BigInteger n = new BigInteger(candidate) << 192, lo = 0, hi = BigInteger.One << 80;
            while (hi - lo > 1) { var mid = (lo + hi) / 2; if (mid * mid * mid <= n) lo = mid; else hi = mid; }
            ulong expected = (ulong)(lo & ulong.MaxValue);
            Assert.Equal(expected, BitConverter.ToUInt64(table.Slice(8 * found, 8)));
            found++;
        }
    }

    [Fact]
    public void Short_output_is_refused()
    {
        Assert.Throws<ArgumentException>(() =>
        {
            Sha512 h = Sha512.Create();
            h.Final(new byte[63]);
        });
    }
}
