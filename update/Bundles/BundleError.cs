namespace Molt.Update.Bundles
{
    /// <summary>Why a bundle was refused. <see cref="BundleErrorCode.None"/> means accepted.</summary>
    public enum BundleErrorCode
    {
        None = 0,
        // The reader (structure).
        Truncated,
        Oversized,
        BadMagic,
        UnknownVersion,
        BadHeaderSize,
        UnknownArch,
        ReservedNotZero,
        TotalSizeMismatch,
        PartMisplaced,
        PartOutOfBounds,
        PaddingNotZero,
        NameEmpty,
        NameTooLong,
        NameBadUtf8,
        DescriptionTooLong,
        DescriptionBadUtf8,
        UpdatesMisaligned,
        NoUpdates,
        TooManyUpdates,
        UpdateBadKind,
        UpdateReservedNotZero,
        UpdateTargetOutOfBounds,
        UpdateTargetEmpty,
        UpdateTargetTooLong,
        UpdateTargetBadUtf8,
        UpdateBadVersions,
        StringsTooLong,
        EntrySymbolEmpty,
        EntrySymbolTooLong,
        EntrySymbolBadChar,
        ObjectTooSmall,
        ObjectTooLarge,
        ObjectNotElf,
        ObjectWrongMachine,
        // The policy (this kernel's facts).
        WrongArch,
        WrongBuildId,
        WrongBaseLevel,
        ReplayedSequence,
        UnknownSigner,
        // The signature (update/Trust).
        BadSignature,
        // Rollback requests (RollbackReader, RollbackPolicy); the other
        // checks reuse the codes above (Truncated, UnknownVersion,
        // UnknownArch, ReservedNotZero, UnknownSigner, BadSignature).
        RollbackBadMagic,
        RollbackTooLong,
        RollbackBadTotalSize,
        RollbackBadLevels,
        RollbackWrongArch,
        RollbackWrongBuildId,
        RollbackStaleLevel,
        RollbackStaleSequence,
    }

    /// <summary>
    /// A refusal: what is wrong and where. <see cref="Offset"/> is the byte
    /// offset in the bundle of the offending field (or -1 when the fault is
    /// not at one place, as with a policy mismatch of the whole bundle);
    /// <see cref="Index"/> is the update entry's index for update faults, else -1.
    /// A plain struct: no allocation, so the kernel can log it as is.
    /// </summary>
    public struct BundleError
    {
        public BundleErrorCode Code;
        public int Offset;
        public int Index;

        public bool IsOk => Code == BundleErrorCode.None;

        public static BundleError Ok => new BundleError { Code = BundleErrorCode.None, Offset = -1, Index = -1 };

        public static BundleError At(BundleErrorCode code, int offset) => new BundleError { Code = code, Offset = offset, Index = -1 };

        public static BundleError AtUpdate(BundleErrorCode code, int offset, int index) => new BundleError { Code = code, Offset = offset, Index = index };

        /// <summary>The reason in words (a literal: nothing is allocated).</summary>
        public string Reason => Describe(Code);

        public static string Describe(BundleErrorCode code)
        {
            switch (code)
            {
                case BundleErrorCode.None: return "accepted";
                case BundleErrorCode.Truncated: return "truncated: shorter than its header or its declared size";
                case BundleErrorCode.Oversized: return "oversized: larger than the 17 MiB bundle limit";
                case BundleErrorCode.BadMagic: return "bad magic: not a Molt patch bundle (expected \"MOLTPTCH\")";
                case BundleErrorCode.UnknownVersion: return "unknown format version (this reader knows version 1)";
                case BundleErrorCode.BadHeaderSize: return "header size is not 112";
                case BundleErrorCode.UnknownArch: return "unknown architecture code (1 = x64, 2 = arm64)";
                case BundleErrorCode.ReservedNotZero: return "reserved header bytes are not zero";
                case BundleErrorCode.TotalSizeMismatch: return "declared total size differs from the bundle's length";
                case BundleErrorCode.PartMisplaced: return "part is not at its canonical offset (previous end, aligned)";
                case BundleErrorCode.PartOutOfBounds: return "part extends past the key id and signature";
                case BundleErrorCode.PaddingNotZero: return "padding between parts is not zero";
                case BundleErrorCode.NameEmpty: return "name is empty";
                case BundleErrorCode.NameTooLong: return "name is longer than 64 bytes";
                case BundleErrorCode.NameBadUtf8: return "name is not valid UTF-8 or has a control character";
                case BundleErrorCode.DescriptionTooLong: return "description is longer than 1024 bytes";
                case BundleErrorCode.DescriptionBadUtf8: return "description is not valid UTF-8";
                case BundleErrorCode.UpdatesMisaligned: return "updates part length is not a multiple of 16";
                case BundleErrorCode.NoUpdates: return "bundle performs no update";
                case BundleErrorCode.TooManyUpdates: return "more than 64 updates";
                case BundleErrorCode.UpdateBadKind: return "update kind is unknown (1 class-eager, 2 class-lazy, 3 object-swap, 4 new-type)";
                case BundleErrorCode.UpdateReservedNotZero: return "update entry's reserved byte is not zero";
                case BundleErrorCode.UpdateTargetOutOfBounds: return "update target name lies outside the strings part";
                case BundleErrorCode.UpdateTargetEmpty: return "update target name is empty";
                case BundleErrorCode.UpdateTargetTooLong: return "update target name is longer than 128 bytes";
                case BundleErrorCode.UpdateTargetBadUtf8: return "update target name is not valid UTF-8 or has a control character";
                case BundleErrorCode.UpdateBadVersions: return "update versions are inconsistent (new-type: from 0, to >= 1; others: to > from >= 1)";
                case BundleErrorCode.StringsTooLong: return "strings part is longer than 8192 bytes";
                case BundleErrorCode.EntrySymbolEmpty: return "entry symbol is empty";
                case BundleErrorCode.EntrySymbolTooLong: return "entry symbol is longer than 256 bytes";
                case BundleErrorCode.EntrySymbolBadChar: return "entry symbol has a byte outside printable ASCII";
                case BundleErrorCode.ObjectTooSmall: return "object is smaller than an ELF header (64 bytes)";
                case BundleErrorCode.ObjectTooLarge: return "object is larger than 16 MiB";
                case BundleErrorCode.ObjectNotElf: return "object is not a 64-bit little-endian relocatable ELF";
                case BundleErrorCode.ObjectWrongMachine: return "object's ELF machine differs from the bundle's architecture";
                case BundleErrorCode.WrongArch: return "bundle is for another architecture";
                case BundleErrorCode.WrongBuildId: return "bundle targets another kernel build";
                case BundleErrorCode.WrongBaseLevel: return "bundle stacks on another patch level";
                case BundleErrorCode.ReplayedSequence: return "sequence number is not above the last accepted one (replay)";
                case BundleErrorCode.UnknownSigner: return "signer key id is not the trusted key's";
                case BundleErrorCode.BadSignature: return "Ed25519 signature does not verify";
                case BundleErrorCode.RollbackBadMagic: return "bad magic: not a Molt rollback request (expected \"MOLTRLBK\")";
                case BundleErrorCode.RollbackTooLong: return "longer than a rollback request (136 bytes)";
                case BundleErrorCode.RollbackBadTotalSize: return "declared total size is not 136";
                case BundleErrorCode.RollbackBadLevels: return "to level is not below from level";
                case BundleErrorCode.RollbackWrongArch: return "rollback request is for another architecture";
                case BundleErrorCode.RollbackWrongBuildId: return "rollback request targets another kernel build";
                case BundleErrorCode.RollbackStaleLevel: return "rollback request was signed at another patch level (stale or replayed)";
                case BundleErrorCode.RollbackStaleSequence: return "rollback request was signed for another top patch (stale or replayed)";
                default: return "unknown error";
            }
        }
    }
}
