namespace Molt.Update.Bundles
{
    /// <summary>
    /// The signed rollback request's fixed layout (docs/update-daemon.md,
    /// "Rollback request format"). Every number is little-endian; the
    /// request is exactly <see cref="Size"/> bytes:
    ///
    ///   magic (8) | version (2) | total size (2) | arch (1) | zero (3) |
    ///   from level (4) | to level (4) | top sequence (8) | build id (32) |
    ///   signer key id (8) | Ed25519 signature (64) over bytes 0..71.
    ///
    /// A fixed size and no optional fields: one request has one encoding,
    /// so a signature covers exactly one byte string. Arch codes, build id
    /// and key id are the bundle's (<see cref="BundleFormat"/>).
    ///
    /// Shared by the kernel (reader, policy) and the host (writer, tests):
    /// only constants here.
    /// </summary>
    public static class RollbackFormat
    {
        /// <summary>"MOLTRLBK" read as a little-endian u64.</summary>
        public const ulong Magic = 0x4B424C52544C4F4DUL;
        public const ushort Version = 1;
        public const int Size = 136;

        // Field offsets.
        public const int OffMagic = 0;        // u64
        public const int OffVersion = 8;      // u16
        public const int OffTotalSize = 10;   // u16, always Size
        public const int OffArch = 12;        // u8, BundleArch
        public const int OffReserved = 13;    // 3 bytes, zero
        public const int ReservedSize = 3;
        public const int OffFromLevel = 16;   // u32: the patch level the signer saw
        public const int OffToLevel = 20;     // u32: the level to return to, below from
        public const int OffTopSequence = 24; // u64: sequence of the patch at the from level
        public const int OffBuildId = 32;     // 32 bytes
        public const int OffKeyId = 64;       // 8 bytes
        public const int OffSignature = 72;   // 64 bytes

        /// <summary>The signature covers every byte before it: 0..71.</summary>
        public const int SignedSize = OffSignature;
    }
}
