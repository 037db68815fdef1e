using System;

namespace Molt.Update.Bundles
{
    /// <summary>What the running kernel knows about itself, for <see cref="RollbackPolicy.Check"/>.</summary>
    public ref struct RollbackFacts
    {
        public BundleArch Arch;
        /// <summary>This kernel's build id (32 bytes).</summary>
        public ReadOnlySpan<byte> BuildId;
        /// <summary>The patch level now; a request must have been signed at exactly this level.</summary>
        public uint CurrentLevel;
        /// <summary>
        /// The sequence number of the patch at <see cref="CurrentLevel"/>
        /// (the top of the patch stack; 0 at level 0). Not the last accepted
        /// sequence: that one survives rollbacks, the top one does not.
        /// </summary>
        public ulong TopSequence;
        /// <summary>The trusted public key's id (8 bytes); empty skips the check.</summary>
        public ReadOnlySpan<byte> TrustedKeyId;
    }

    /// <summary>
    /// Does a well-formed rollback request fit this kernel, now? Pure: same
    /// inputs, same answer; no cryptography.
    ///
    /// How the kernel admits a rollback request (each step runs only if the
    /// one before accepted; a refusal changes nothing):
    /// 1. <see cref="RollbackReader.TryParse"/>: the bytes are a well-formed request.
    /// 2. <see cref="Check"/>: architecture, build id, from level = current
    ///    level, top sequence = the sequence of the patch on top, signer key id.
    /// 3. Ed25519 verification of <see cref="RollbackView.Signature"/> over
    ///    <see cref="RollbackView.SignedBytes"/> with the trusted key.
    /// 4. Only then: pop the patch stack down to <see cref="RollbackView.ToLevel"/>.
    /// Why step 2 stops replays: sequence numbers only grow and survive
    /// rollbacks, so the pair (level, top sequence) never recurs while the
    /// kernel runs; a captured request goes stale as soon as the stack
    /// changes.
    /// </summary>
    public static class RollbackPolicy
    {
        public static BundleError Check(in RollbackView request, in RollbackFacts kernel)
        {
            if (request.Arch != kernel.Arch) return BundleError.At(BundleErrorCode.RollbackWrongArch, RollbackFormat.OffArch);
            if (!request.BuildId.SequenceEqual(kernel.BuildId)) return BundleError.At(BundleErrorCode.RollbackWrongBuildId, RollbackFormat.OffBuildId);
            if (request.FromLevel != kernel.CurrentLevel) return BundleError.At(BundleErrorCode.RollbackStaleLevel, RollbackFormat.OffFromLevel);
            if (request.TopSequence != kernel.TopSequence) return BundleError.At(BundleErrorCode.RollbackStaleSequence, RollbackFormat.OffTopSequence);
            if (!kernel.TrustedKeyId.IsEmpty && !request.KeyId.SequenceEqual(kernel.TrustedKeyId))
                return BundleError.At(BundleErrorCode.UnknownSigner, RollbackFormat.OffKeyId);
            return BundleError.Ok;
        }
    }
}
