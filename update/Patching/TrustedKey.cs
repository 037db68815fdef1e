using System;

namespace Molt.Update.Patching
{
    /// <summary>
    /// The one Ed25519 public key whose bundles this kernel accepts, built
    /// into the image. The build writes <c>build/keys/TrustedKey.g.cs</c>
    /// from <c>build/keys/molt-signing.pub</c> (made by <c>molt keygen</c>
    /// when missing; set <c>KEY_DIR</c> to use another pair), implementing
    /// <see cref="KeyBytes"/>: 32 bytes as static data, no allocation.
    /// The key id is the first 8 bytes of SHA-512(key), as in the bundle.
    /// </summary>
    public static partial class TrustedKey
    {
        public const int KeySize = 32, KeyIdSize = 8;

        private static partial ReadOnlySpan<byte> KeyBytes();

        public static ReadOnlySpan<byte> PublicKey => KeyBytes();

        /// <summary>Whether <paramref name="keyId"/> names the trusted key.</summary>
        public static bool IsSigner(ReadOnlySpan<byte> keyId)
        {
            if (keyId.Length != KeyIdSize) return false;
            Span<byte> hash = stackalloc byte[64];
            Trust.Sha512.Hash(PublicKey, hash);
            for (int i = 0; i < KeyIdSize; i++)
                if (hash[i] != keyId[i]) return false;
            return true;
        }
    }
}
