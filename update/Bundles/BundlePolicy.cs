using System;

namespace Molt.Update.Bundles
{
    /// <summary>What the running kernel knows about itself, for <see cref="BundlePolicy.Check"/>.</summary>
    public ref struct KernelFacts
    {
        public BundleArch Arch;
        /// <summary>This kernel's build id (32 bytes: SHA-256 of molt.elf, docs/patching.md).</summary>
        public ReadOnlySpan<byte> BuildId;
        /// <summary>The patch level now (UpdateManager.Level); a bundle must stack on exactly this.</summary>
        public uint CurrentLevel;
        /// <summary>The highest sequence number accepted so far from the trusted key (0: none yet).</summary>
        public ulong LastSequence;
        /// <summary>The trusted public key's id (8 bytes: first 8 of SHA-512(key)); empty skips the check.</summary>
        public ReadOnlySpan<byte> TrustedKeyId;
    }

    /// <summary>
    /// The decisions about a well-formed bundle that need no cryptography:
    /// does it fit this kernel, now? Pure: same inputs, same answer.
    ///
    /// How the kernel admits a bundle (the daemon's order; each step runs
    /// only if the one before accepted):
    /// 1. <see cref="BundleReader.TryParse"/>: the bytes are a well-formed bundle.
    /// 2. <see cref="Check"/>: architecture, build id, base level, sequence
    ///    (replay), signer key id.
    /// 3. CALL POINT (update/Trust, branch crypto): Ed25519 verification of
    ///    <see cref="BundleView.Signature"/> over <see cref="BundleView.SignedBytes"/>
    ///    with the kernel's built-in public key; failure is
    ///    <see cref="BundleErrorCode.BadSignature"/>.
    /// 4. Only then: load and link <see cref="BundleView.Object"/>, call its
    ///    entry symbol, apply the updates; on success record
    ///    <see cref="BundleView.Sequence"/> as the last sequence.
    /// Steps 2 and 3 may be swapped (both are cheap next to step 4), but a
    /// refusal must never change the last sequence or the level.
    /// </summary>
    public static class BundlePolicy
    {
        public static BundleError Check(in BundleView bundle, in KernelFacts kernel)
        {
            if (bundle.Arch != kernel.Arch) return BundleError.At(BundleErrorCode.WrongArch, BundleFormat.OffArch);
            if (!bundle.BuildId.SequenceEqual(kernel.BuildId)) return BundleError.At(BundleErrorCode.WrongBuildId, BundleFormat.OffBuildId);
            if (bundle.BaseLevel != kernel.CurrentLevel) return BundleError.At(BundleErrorCode.WrongBaseLevel, BundleFormat.OffBaseLevel);
            if (bundle.Sequence <= kernel.LastSequence) return BundleError.At(BundleErrorCode.ReplayedSequence, BundleFormat.OffSequence);
            if (!kernel.TrustedKeyId.IsEmpty && !bundle.KeyId.SequenceEqual(kernel.TrustedKeyId))
                return BundleError.At(BundleErrorCode.UnknownSigner, bundle.SignedBytes.Length - BundleFormat.KeyIdSize);
            return BundleError.Ok;
        }
    }
}
