namespace Molt.Update.Bundles
{
    /// <summary>
    /// The patch bundle's fixed layout (docs/patching.md, "Bundle format").
    /// Every number is little-endian. A bundle is:
    ///
    ///   header (112 bytes) | parts, in the order of <see cref="BundlePart"/>,
    ///   each at the next multiple of its alignment | signer key id (8) |
    ///   Ed25519 signature (64) over every byte before it.
    ///
    /// The layout is canonical: each part starts exactly where the previous
    /// one ends, rounded up to its alignment, with zero padding; the key id
    /// starts at the next multiple of 8 after the last part. One set of
    /// contents therefore has one encoding, so a signature covers exactly
    /// one byte string and the writer's output is deterministic.
    ///
    /// Shared by the kernel (reader) and the host (writer, tests): only
    /// constants here.
    /// </summary>
    public static class BundleFormat
    {
        /// <summary>"MOLTPTCH" read as a little-endian u64.</summary>
        public const ulong Magic = 0x48435450544C4F4DUL;
        public const ushort Version = 1;
        public const int HeaderSize = 112;

        // Header field offsets.
        public const int OffMagic = 0;          // u64
        public const int OffVersion = 8;        // u16
        public const int OffHeaderSize = 10;    // u16
        public const int OffArch = 12;          // u8
        public const int OffReserved = 13;      // 3 bytes, zero
        public const int OffTotalSize = 16;     // u32, the whole bundle with signature
        public const int OffBaseLevel = 20;     // u32
        public const int OffSequence = 24;      // u64
        public const int OffBuildId = 32;       // 32 bytes
        public const int OffParts = 64;         // PartCount x {u32 offset, u32 length}
        public const int PartCount = 6;

        public const int BuildIdSize = 32;
        public const int KeyIdSize = 8;
        public const int SignatureSize = 64;
        /// <summary>Key id plus signature: the trailer after the last part.</summary>
        public const int TrailerSize = KeyIdSize + SignatureSize;

        // One update entry in the updates part.
        public const int UpdateEntrySize = 16;
        public const int UpdOffKind = 0;         // u8
        public const int UpdOffReserved = 1;     // u8, zero
        public const int UpdOffTargetLength = 2; // u16
        public const int UpdOffTargetOffset = 4; // u32, into the strings part
        public const int UpdOffFromVersion = 8;  // u32
        public const int UpdOffToVersion = 12;   // u32

        // Bounds.
        public const int MaxNameBytes = 64;
        public const int MaxDescriptionBytes = 1024;
        public const int MaxUpdates = 64;
        public const int MaxTargetBytes = 128;
        public const int MaxStringsBytes = MaxUpdates * MaxTargetBytes;
        public const int MaxEntrySymbolBytes = 256;
        public const int MinObjectBytes = 64;
        public const int MaxObjectBytes = 16 * 1024 * 1024;
        public const int MaxBundleBytes = 17 * 1024 * 1024;

        /// <summary>Alignment of each part's offset (the object is 16 so an ELF reader can use it in place).</summary>
        public static int Alignment(BundlePart part) => part == BundlePart.Object ? 16 : 8;

        public static int AlignUp(int value, int alignment) => (value + alignment - 1) & ~(alignment - 1);

        /// <summary>The ELF e_machine a bundle for <paramref name="arch"/> must carry (EM_X86_64, EM_AARCH64), or 0.</summary>
        public static ushort ElfMachine(BundleArch arch) => arch == BundleArch.X64 ? (ushort)62 : arch == BundleArch.Arm64 ? (ushort)183 : (ushort)0;
    }

    /// <summary>The parts, in their order in the header's directory and in the file.</summary>
    public enum BundlePart
    {
        Name = 0,
        Description = 1,
        Updates = 2,
        Strings = 3,
        EntrySymbol = 4,
        Object = 5,
    }

    public enum BundleArch : byte
    {
        None = 0,
        X64 = 1,
        Arm64 = 2,
    }

    /// <summary>What one update entry does (docs/patching.md).</summary>
    public enum UpdateKind : byte
    {
        None = 0,
        /// <summary>A new version of an updatable class; existing objects are swapped at once.</summary>
        ClassEager = 1,
        /// <summary>A new version of an updatable class; existing objects are converted on first use.</summary>
        ClassLazy = 2,
        /// <summary>One named object is hot-swapped to a new version.</summary>
        ObjectSwap = 3,
        /// <summary>A type the kernel did not have (from-version 0).</summary>
        NewType = 4,
    }
}
