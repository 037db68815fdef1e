using System;

namespace Molt.Update.Trust
{
    /// <summary>Why <see cref="Ed25519.Check"/> accepted or refused a signature.</summary>
    public enum Ed25519Result
    {
        /// <summary>[S]B = R + [k]A holds: the signature is good.</summary>
        Valid,
        /// <summary>Everything decodes, but the equation does not hold (wrong key, message or signature).</summary>
        BadSignature,
        /// <summary>The public key is not 32 bytes.</summary>
        WrongKeyLength,
        /// <summary>The signature is not 64 bytes.</summary>
        WrongSignatureLength,
        /// <summary>The public key A does not decode to a curve point (RFC 8032 5.1.3: y &gt;= p, no square root, or x = 0 with the sign bit set).</summary>
        MalformedPublicKey,
        /// <summary>The public key is one of the 8 points of small order (the identity among them): with such a key, signatures can be made without any secret.</summary>
        SmallOrderPublicKey,
        /// <summary>R, the first half of the signature, does not decode to a curve point (same rules).</summary>
        MalformedR,
        /// <summary>S, the second half of the signature, is not below the group order L (a malleable, non-canonical signature).</summary>
        NonCanonicalS,
    }

    /// <summary>
    /// Ed25519 signature verification, RFC 8032 5.1.7, for the kernel: no heap,
    /// no GC, no BCL crypto. Signing is not here: bundles are signed on the host.
    ///
    /// Rules (each refusal has its own <see cref="Ed25519Result"/>):
    /// 1. The key is 32 bytes and the signature 64 (R, then S).
    /// 2. S must be canonical: 0 &lt;= S &lt; L. Without this check S + L would
    ///    verify too, so one signature would have several encodings.
    /// 3. A must decode strictly (RFC 8032 5.1.3, including y &lt; p and no
    ///    "negative zero"); so must R.
    ///    Beyond RFC 8032, a public key of small order is refused (as libsodium
    ///    does): with A = identity, R = identity and S = 0 verify for every
    ///    message. Three doublings of A, about 1% of a verification. An R of
    ///    small order is not refused: it gains a forger nothing against a
    ///    full-order key.
    /// 4. k = SHA-512(R || A || M) mod L, using the bytes of R and A as given.
    /// 5. Cofactorless equation: accept when [S]B - [k]A, encoded, equals R's
    ///    bytes. RFC 8032 permits this check in place of the cofactored one
    ///    ([8][S]B = [8]R + [8][k]A); both agree on every honestly made
    ///    signature, and differ only for crafted ones with small-order parts.
    ///    Comparing encodings is comparing points, because our encoding is
    ///    canonical and R's y was checked canonical, and it also catches an R
    ///    that is no point at all. R is fully decoded only when the equation
    ///    fails, to tell <see cref="Ed25519Result.MalformedR"/> from
    ///    <see cref="Ed25519Result.BadSignature"/>.
    /// Stack use is about 4 KiB; variable time, which is fine for public data.
    /// </summary>
    public static class Ed25519
    {
        public const int PublicKeySize = 32;
        public const int SignatureSize = 64;

        /// <summary>True exactly when <see cref="Check"/> returns <see cref="Ed25519Result.Valid"/>.</summary>
        public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
            => Check(publicKey, message, signature) == Ed25519Result.Valid;

        /// <summary>Verifies <paramref name="signature"/> (64 bytes: R || S) over <paramref name="message"/> with <paramref name="publicKey"/> (32 bytes) and says why when it does not hold.</summary>
        public static Ed25519Result Check(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        {
            Ed25519Verifier v = Ed25519Verifier.Begin(publicKey, signature);
            v.Update(message);
            return v.Finish();
        }

        /// <summary>Steps 2-5 once the hash of R || A || M is known (<paramref name="digest"/>, 64 bytes).</summary>
        internal static Ed25519Result CheckWithDigest(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> digest)
        {
            ReadOnlySpan<byte> r = signature.Slice(0, 32);
            ReadOnlySpan<byte> s = signature.Slice(32, 32);
            if (!Scalar.IsCanonical(s)) return Ed25519Result.NonCanonicalS;
            if (!EdwardsPoint.Decode(out EdwardsPoint a, publicKey)) return Ed25519Result.MalformedPublicKey;
            if (EdwardsPoint.HasSmallOrder(in a)) return Ed25519Result.SmallOrderPublicKey;
            if (!FieldElement.IsCanonicalEncoding(r)) return Ed25519Result.MalformedR;

            Span<byte> k = stackalloc byte[32];
            Scalar.Reduce(digest, k);
            EdwardsPoint.Negate(out EdwardsPoint minusA, in a);
            EdwardsPoint.DoubleScalarMultiplyBase(out ProjectivePoint check, k, in minusA, s);
            Span<byte> encoded = stackalloc byte[32];
            EdwardsPoint.Encode(encoded, in check);

            byte difference = 0;
            for (int i = 0; i < 32; i++) difference |= (byte)(encoded[i] ^ r[i]);
            if (difference == 0) return Ed25519Result.Valid;
            return EdwardsPoint.Decode(out _, r) ? Ed25519Result.BadSignature : Ed25519Result.MalformedR;
        }
    }

    /// <summary>
    /// Ed25519 verification of a message that arrives in pieces (a bundle read
    /// from the network): the message is hashed as it comes, after R and A, and
    /// the curve work happens in <see cref="Finish"/>. Same rules and results
    /// as <see cref="Ed25519.Check"/>. A struct (about 310 bytes) with no heap use:
    /// keep it in a local or a field and pass it by <c>ref</c>.
    /// <code>
    /// var v = Ed25519Verifier.Begin(publicKey, signature);
    /// v.Update(chunk1); v.Update(chunk2);
    /// Ed25519Result result = v.Finish();
    /// </code>
    /// </summary>
    public unsafe struct Ed25519Verifier
    {
        private fixed byte _publicKey[Ed25519.PublicKeySize];
        private fixed byte _signature[Ed25519.SignatureSize];
        private Sha512 _hash;
        private Ed25519Result _lengthError;
        private bool _started;

        /// <summary>Keeps copies of the key and signature and starts hashing R || A.</summary>
        public static Ed25519Verifier Begin(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature)
        {
            Ed25519Verifier v = default;
            v._started = true;
            v._hash = Sha512.Create();
            if (publicKey.Length != Ed25519.PublicKeySize) { v._lengthError = Ed25519Result.WrongKeyLength; return v; }
            if (signature.Length != Ed25519.SignatureSize) { v._lengthError = Ed25519Result.WrongSignatureLength; return v; }
            v._lengthError = Ed25519Result.Valid;
            for (int i = 0; i < Ed25519.PublicKeySize; i++) v._publicKey[i] = publicKey[i];
            for (int i = 0; i < Ed25519.SignatureSize; i++) v._signature[i] = signature[i];
            v._hash.Update(signature.Slice(0, 32));
            v._hash.Update(publicKey);
            return v;
        }

        /// <summary>Hashes the next piece of the message.</summary>
        public void Update(ReadOnlySpan<byte> messagePart)
        {
            if (_lengthError == Ed25519Result.Valid) _hash.Update(messagePart);
        }

        /// <summary>The verdict on the whole message. The verifier must then be begun again to be reused.</summary>
        public Ed25519Result Finish()
        {
            if (!_started) return Ed25519Result.WrongKeyLength; // default(Ed25519Verifier): never begun
            _started = false;
            if (_lengthError != Ed25519Result.Valid) return _lengthError;
            Span<byte> digest = stackalloc byte[Sha512.HashSize];
            _hash.Final(digest);
            fixed (byte* key = _publicKey)
            fixed (byte* signature = _signature)
            {
                return Ed25519.CheckWithDigest(new ReadOnlySpan<byte>(key, Ed25519.PublicKeySize),
                                               new ReadOnlySpan<byte>(signature, Ed25519.SignatureSize), digest);
            }
        }
    }
}
