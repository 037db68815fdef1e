using System;

namespace Molt.Update.Bundles
{
    /// <summary>
    /// A parsed rollback request: spans into the caller's buffer, nothing
    /// copied or allocated. Valid only while that buffer lives and is
    /// unchanged. Made by <see cref="RollbackReader.TryParse"/>.
    /// </summary>
    public ref struct RollbackView
    {
        public BundleArch Arch;
        /// <summary>The patch level the signer saw (&gt;= 1).</summary>
        public uint FromLevel;
        /// <summary>The level to return to (&lt; <see cref="FromLevel"/>).</summary>
        public uint ToLevel;
        /// <summary>The sequence number of the patch at <see cref="FromLevel"/> when the request was signed.</summary>
        public ulong TopSequence;
        /// <summary>The target kernel's build id (32 bytes).</summary>
        public ReadOnlySpan<byte> BuildId;
        public ReadOnlySpan<byte> KeyId;
        /// <summary>Bytes 0..71: everything the signature covers.</summary>
        public ReadOnlySpan<byte> SignedBytes;
        public ReadOnlySpan<byte> Signature;
    }

    /// <summary>
    /// Parses a rollback request (<see cref="RollbackFormat"/>) without
    /// allocating. Compiled into the kernel and into the host tool and tests.
    ///
    /// Checks, in this order (the first failure is reported, with the byte
    /// offset of the offending field):
    /// 1. Magic, then format version, so that a file of another kind (a
    ///    bundle posted to /rollback) is named as such.
    /// 2. Length exactly <see cref="RollbackFormat.Size"/>, and the total
    ///    size field saying so.
    /// 3. Architecture code, reserved bytes zero.
    /// 4. To level below from level (so from level &gt;= 1).
    /// It does not check the signature or whether the request fits this
    /// kernel now: see <see cref="RollbackPolicy"/>.
    /// </summary>
    public static class RollbackReader
    {
        public static bool TryParse(ReadOnlySpan<byte> request, out RollbackView view, out BundleError error)
        {
            view = default;
            error = Check(request, ref view);
            return error.IsOk;
        }

        private static BundleError Check(ReadOnlySpan<byte> b, ref RollbackView view)
        {
            // 1. Identity.
            if (b.Length < RollbackFormat.OffVersion) return BundleError.At(BundleErrorCode.Truncated, b.Length);
            if (Le.U64(b, RollbackFormat.OffMagic) != RollbackFormat.Magic) return BundleError.At(BundleErrorCode.RollbackBadMagic, RollbackFormat.OffMagic);
            if (b.Length < RollbackFormat.OffTotalSize) return BundleError.At(BundleErrorCode.Truncated, b.Length);
            if (Le.U16(b, RollbackFormat.OffVersion) != RollbackFormat.Version) return BundleError.At(BundleErrorCode.UnknownVersion, RollbackFormat.OffVersion);

            // 2. Size: the input, then the field.
            if (b.Length < RollbackFormat.Size) return BundleError.At(BundleErrorCode.Truncated, b.Length);
            if (b.Length > RollbackFormat.Size) return BundleError.At(BundleErrorCode.RollbackTooLong, RollbackFormat.Size);
            if (Le.U16(b, RollbackFormat.OffTotalSize) != RollbackFormat.Size) return BundleError.At(BundleErrorCode.RollbackBadTotalSize, RollbackFormat.OffTotalSize);

            // 3. Fixed fields.
            byte arch = b[RollbackFormat.OffArch];
            if (arch != (byte)BundleArch.X64 && arch != (byte)BundleArch.Arm64) return BundleError.At(BundleErrorCode.UnknownArch, RollbackFormat.OffArch);
            for (int i = 0; i < RollbackFormat.ReservedSize; i++)
                if (b[RollbackFormat.OffReserved + i] != 0) return BundleError.At(BundleErrorCode.ReservedNotZero, RollbackFormat.OffReserved + i);

            // 4. Levels.
            uint from = Le.U32(b, RollbackFormat.OffFromLevel);
            uint to = Le.U32(b, RollbackFormat.OffToLevel);
            if (to >= from) return BundleError.At(BundleErrorCode.RollbackBadLevels, RollbackFormat.OffToLevel);

            view.Arch = (BundleArch)arch;
            view.FromLevel = from;
            view.ToLevel = to;
            view.TopSequence = Le.U64(b, RollbackFormat.OffTopSequence);
            view.BuildId = b.Slice(RollbackFormat.OffBuildId, BundleFormat.BuildIdSize);
            view.KeyId = b.Slice(RollbackFormat.OffKeyId, BundleFormat.KeyIdSize);
            view.SignedBytes = b.Slice(0, RollbackFormat.SignedSize);
            view.Signature = b.Slice(RollbackFormat.OffSignature, BundleFormat.SignatureSize);
            return BundleError.Ok;
        }
    }
}
