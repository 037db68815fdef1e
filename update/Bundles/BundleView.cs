using System;

namespace Molt.Update.Bundles
{
    /// <summary>
    /// A parsed bundle: spans into the caller's buffer, nothing copied or
    /// allocated. Valid only while that buffer lives and is unchanged. Made
    /// by <see cref="BundleReader.TryParse"/>, which has checked every
    /// offset, length, bound and string it exposes.
    /// </summary>
    public ref struct BundleView
    {
        public BundleArch Arch;
        public uint BaseLevel;
        public ulong Sequence;
        /// <summary>The target kernel's build id (32 bytes).</summary>
        public ReadOnlySpan<byte> BuildId;
        /// <summary>UTF-8, 1..64 bytes.</summary>
        public ReadOnlySpan<byte> Name;
        /// <summary>UTF-8, 0..1024 bytes.</summary>
        public ReadOnlySpan<byte> Description;
        /// <summary>The ELF symbol of the patch's entry method (printable ASCII).</summary>
        public ReadOnlySpan<byte> EntrySymbol;
        /// <summary>The relocatable ELF object (16-byte aligned within the bundle).</summary>
        public ReadOnlySpan<byte> Object;
        public ReadOnlySpan<byte> KeyId;
        public ReadOnlySpan<byte> Signature;
        /// <summary>Every byte the signature covers: the bundle up to the signature.</summary>
        public ReadOnlySpan<byte> SignedBytes;

        internal ReadOnlySpan<byte> UpdatesPart;
        internal ReadOnlySpan<byte> StringsPart;

        public int UpdateCount => UpdatesPart.Length / BundleFormat.UpdateEntrySize;

        /// <summary>Update entry <paramref name="index"/> (0 &lt;= index &lt; <see cref="UpdateCount"/>; checked by the reader).</summary>
        public BundleUpdate GetUpdate(int index)
        {
            ReadOnlySpan<byte> e = UpdatesPart.Slice(index * BundleFormat.UpdateEntrySize, BundleFormat.UpdateEntrySize);
            int targetLength = Le.U16(e, BundleFormat.UpdOffTargetLength);
            int targetOffset = (int)Le.U32(e, BundleFormat.UpdOffTargetOffset);
            return new BundleUpdate
            {
                Kind = (UpdateKind)e[BundleFormat.UpdOffKind],
                Target = StringsPart.Slice(targetOffset, targetLength),
                FromVersion = Le.U32(e, BundleFormat.UpdOffFromVersion),
                ToVersion = Le.U32(e, BundleFormat.UpdOffToVersion),
            };
        }
    }

    /// <summary>One update a bundle performs.</summary>
    public ref struct BundleUpdate
    {
        public UpdateKind Kind;
        /// <summary>UTF-8 name of the updatable class or object.</summary>
        public ReadOnlySpan<byte> Target;
        public uint FromVersion;
        public uint ToVersion;
    }

    /// <summary>Little-endian reads from spans, bounds-checked by the span indexer.</summary>
    internal static class Le
    {
        public static ushort U16(ReadOnlySpan<byte> b, int at) => (ushort)(b[at] | (b[at + 1] << 8));

        public static uint U32(ReadOnlySpan<byte> b, int at) =>
            (uint)b[at] | ((uint)b[at + 1] << 8) | ((uint)b[at + 2] << 16) | ((uint)b[at + 3] << 24);

        public static ulong U64(ReadOnlySpan<byte> b, int at) => U32(b, at) | ((ulong)U32(b, at + 4) << 32);
    }
}
