using System;

namespace Molt.Update.Bundles
{
    /// <summary>
    /// Parses a patch bundle (docs/patching.md, "Bundle format") without
    /// allocating: the view's spans point into the input. Compiled into the
    /// kernel and into the host tool and tests, so it uses only spans and
    /// primitives.
    ///
    /// Checks, in this order (the first failure is reported, with the byte
    /// offset of the offending field):
    /// 1. Magic, format version, then that the header and trailer fit.
    /// 2. Header size, architecture code, reserved bytes zero.
    /// 3. Declared total size: within the limit and equal to the input's length.
    /// 4. Each part at its canonical offset (previous end rounded up to its
    ///    alignment), inside the bundle before the trailer, zero padding; the
    ///    key id right after the last part (aligned to 8).
    /// 5. Each part's contents: name and description (bounded, UTF-8),
    ///    update entries (count, kind, target name in the strings part,
    ///    versions), entry symbol (printable ASCII), object (ELF64 little-
    ///    endian relocatable for the bundle's machine).
    /// It does not check the signature or whether the bundle fits this
    /// kernel: see <see cref="BundlePolicy"/>.
    /// </summary>
    public static class BundleReader
    {
        public static bool TryParse(ReadOnlySpan<byte> bundle, out BundleView view, out BundleError error)
        {
            view = default;
            error = Check(bundle, ref view);
            return error.IsOk;
        }

        private static BundleError Check(ReadOnlySpan<byte> b, ref BundleView view)
        {
            // 1. Identity first, so that a file of another kind is named as such.
            if (b.Length < 8) return BundleError.At(BundleErrorCode.Truncated, b.Length);
            if (Le.U64(b, BundleFormat.OffMagic) != BundleFormat.Magic) return BundleError.At(BundleErrorCode.BadMagic, BundleFormat.OffMagic);
            if (b.Length < BundleFormat.OffVersion + 2) return BundleError.At(BundleErrorCode.Truncated, b.Length);
            if (Le.U16(b, BundleFormat.OffVersion) != BundleFormat.Version) return BundleError.At(BundleErrorCode.UnknownVersion, BundleFormat.OffVersion);
            if (b.Length > BundleFormat.MaxBundleBytes) return BundleError.At(BundleErrorCode.Oversized, BundleFormat.MaxBundleBytes);
            if (b.Length < BundleFormat.HeaderSize + BundleFormat.TrailerSize) return BundleError.At(BundleErrorCode.Truncated, b.Length);

            // 2. Fixed header fields.
            if (Le.U16(b, BundleFormat.OffHeaderSize) != BundleFormat.HeaderSize) return BundleError.At(BundleErrorCode.BadHeaderSize, BundleFormat.OffHeaderSize);
            byte arch = b[BundleFormat.OffArch];
            if (arch != (byte)BundleArch.X64 && arch != (byte)BundleArch.Arm64) return BundleError.At(BundleErrorCode.UnknownArch, BundleFormat.OffArch);
            for (int i = 0; i < 3; i++)
                if (b[BundleFormat.OffReserved + i] != 0) return BundleError.At(BundleErrorCode.ReservedNotZero, BundleFormat.OffReserved + i);

            // 3. Declared size.
            uint total = Le.U32(b, BundleFormat.OffTotalSize);
            if (total > BundleFormat.MaxBundleBytes) return BundleError.At(BundleErrorCode.Oversized, BundleFormat.OffTotalSize);
            if ((uint)b.Length < total) return BundleError.At(BundleErrorCode.Truncated, b.Length);
            if ((uint)b.Length != total) return BundleError.At(BundleErrorCode.TotalSizeMismatch, BundleFormat.OffTotalSize);
            int trailerAt = (int)total - BundleFormat.TrailerSize;

            // 4. Part directory: canonical placement, bounds, zero padding.
            int end = BundleFormat.HeaderSize;
            int nameAt = 0, nameLen = 0, descAt = 0, descLen = 0, updAt = 0, updLen = 0, strAt = 0, strLen = 0, symAt = 0, symLen = 0, objAt = 0, objLen = 0;
            for (int p = 0; p < BundleFormat.PartCount; p++)
            {
                int dirAt = BundleFormat.OffParts + 8 * p;
                uint offset = Le.U32(b, dirAt);
                uint length = Le.U32(b, dirAt + 4);
                int expected = BundleFormat.AlignUp(end, BundleFormat.Alignment((BundlePart)p));
                if (offset != (uint)expected) return BundleError.At(BundleErrorCode.PartMisplaced, dirAt);
                if ((ulong)offset + length > (ulong)trailerAt) return BundleError.At(BundleErrorCode.PartOutOfBounds, dirAt + 4);
                for (int i = end; i < expected; i++)
                    if (b[i] != 0) return BundleError.At(BundleErrorCode.PaddingNotZero, i);
                end = (int)(offset + length);
                switch ((BundlePart)p)
                {
                    case BundlePart.Name: nameAt = expected; nameLen = (int)length; break;
                    case BundlePart.Description: descAt = expected; descLen = (int)length; break;
                    case BundlePart.Updates: updAt = expected; updLen = (int)length; break;
                    case BundlePart.Strings: strAt = expected; strLen = (int)length; break;
                    case BundlePart.EntrySymbol: symAt = expected; symLen = (int)length; break;
                    default: objAt = expected; objLen = (int)length; break;
                }
            }
            int keyIdAt = BundleFormat.AlignUp(end, 8);
            if (keyIdAt != trailerAt) return BundleError.At(BundleErrorCode.TotalSizeMismatch, BundleFormat.OffTotalSize);
            for (int i = end; i < keyIdAt; i++)
                if (b[i] != 0) return BundleError.At(BundleErrorCode.PaddingNotZero, i);

            // 5. Contents.
            int bad;
            if (nameLen == 0) return BundleError.At(BundleErrorCode.NameEmpty, nameAt);
            if (nameLen > BundleFormat.MaxNameBytes) return BundleError.At(BundleErrorCode.NameTooLong, nameAt);
            if ((bad = Utf8Check.FirstInvalid(b.Slice(nameAt, nameLen), false)) >= 0) return BundleError.At(BundleErrorCode.NameBadUtf8, nameAt + bad);
            if (descLen > BundleFormat.MaxDescriptionBytes) return BundleError.At(BundleErrorCode.DescriptionTooLong, descAt);
            if ((bad = Utf8Check.FirstInvalid(b.Slice(descAt, descLen), true)) >= 0) return BundleError.At(BundleErrorCode.DescriptionBadUtf8, descAt + bad);

            if (updLen % BundleFormat.UpdateEntrySize != 0) return BundleError.At(BundleErrorCode.UpdatesMisaligned, BundleFormat.OffParts + 8 * (int)BundlePart.Updates + 4);
            int count = updLen / BundleFormat.UpdateEntrySize;
            if (count == 0) return BundleError.At(BundleErrorCode.NoUpdates, BundleFormat.OffParts + 8 * (int)BundlePart.Updates + 4);
            if (count > BundleFormat.MaxUpdates) return BundleError.At(BundleErrorCode.TooManyUpdates, BundleFormat.OffParts + 8 * (int)BundlePart.Updates + 4);
            if (strLen > BundleFormat.MaxStringsBytes) return BundleError.At(BundleErrorCode.StringsTooLong, BundleFormat.OffParts + 8 * (int)BundlePart.Strings + 4);
            ReadOnlySpan<byte> strings = b.Slice(strAt, strLen);
            for (int u = 0; u < count; u++)
            {
                int at = updAt + u * BundleFormat.UpdateEntrySize;
                ReadOnlySpan<byte> e = b.Slice(at, BundleFormat.UpdateEntrySize);
                byte kind = e[BundleFormat.UpdOffKind];
                if (kind < (byte)UpdateKind.ClassEager || kind > (byte)UpdateKind.NewType)
                    return BundleError.AtUpdate(BundleErrorCode.UpdateBadKind, at + BundleFormat.UpdOffKind, u);
                if (e[BundleFormat.UpdOffReserved] != 0) return BundleError.AtUpdate(BundleErrorCode.UpdateReservedNotZero, at + BundleFormat.UpdOffReserved, u);
                int tLen = Le.U16(e, BundleFormat.UpdOffTargetLength);
                uint tOff = Le.U32(e, BundleFormat.UpdOffTargetOffset);
                if (tLen == 0) return BundleError.AtUpdate(BundleErrorCode.UpdateTargetEmpty, at + BundleFormat.UpdOffTargetLength, u);
                if (tLen > BundleFormat.MaxTargetBytes) return BundleError.AtUpdate(BundleErrorCode.UpdateTargetTooLong, at + BundleFormat.UpdOffTargetLength, u);
                if ((ulong)tOff + (ulong)tLen > (ulong)strLen) return BundleError.AtUpdate(BundleErrorCode.UpdateTargetOutOfBounds, at + BundleFormat.UpdOffTargetOffset, u);
                if ((bad = Utf8Check.FirstInvalid(strings.Slice((int)tOff, tLen), false)) >= 0)
                    return BundleError.AtUpdate(BundleErrorCode.UpdateTargetBadUtf8, strAt + (int)tOff + bad, u);
                uint from = Le.U32(e, BundleFormat.UpdOffFromVersion), to = Le.U32(e, BundleFormat.UpdOffToVersion);
                bool versionsOk = kind == (byte)UpdateKind.NewType ? from == 0 && to >= 1 : from >= 1 && to > from;
                if (!versionsOk) return BundleError.AtUpdate(BundleErrorCode.UpdateBadVersions, at + BundleFormat.UpdOffFromVersion, u);
            }

            if (symLen == 0) return BundleError.At(BundleErrorCode.EntrySymbolEmpty, symAt);
            if (symLen > BundleFormat.MaxEntrySymbolBytes) return BundleError.At(BundleErrorCode.EntrySymbolTooLong, symAt);
            for (int i = 0; i < symLen; i++)
            {
                byte c = b[symAt + i];
                if (c < 0x21 || c > 0x7E) return BundleError.At(BundleErrorCode.EntrySymbolBadChar, symAt + i);
            }

            if (objLen < BundleFormat.MinObjectBytes) return BundleError.At(BundleErrorCode.ObjectTooSmall, objAt);
            if (objLen > BundleFormat.MaxObjectBytes) return BundleError.At(BundleErrorCode.ObjectTooLarge, objAt);
            ReadOnlySpan<byte> obj = b.Slice(objAt, objLen);
            // ELF identity: \x7fELF, ELFCLASS64, ELFDATA2LSB, ET_REL.
            if (obj[0] != 0x7F || obj[1] != (byte)'E' || obj[2] != (byte)'L' || obj[3] != (byte)'F') return BundleError.At(BundleErrorCode.ObjectNotElf, objAt);
            if (obj[4] != 2) return BundleError.At(BundleErrorCode.ObjectNotElf, objAt + 4);
            if (obj[5] != 1) return BundleError.At(BundleErrorCode.ObjectNotElf, objAt + 5);
            if (Le.U16(obj, 16) != 1) return BundleError.At(BundleErrorCode.ObjectNotElf, objAt + 16);
            if (Le.U16(obj, 18) != BundleFormat.ElfMachine((BundleArch)arch)) return BundleError.At(BundleErrorCode.ObjectWrongMachine, objAt + 18);

            view.Arch = (BundleArch)arch;
            view.BaseLevel = Le.U32(b, BundleFormat.OffBaseLevel);
            view.Sequence = Le.U64(b, BundleFormat.OffSequence);
            view.BuildId = b.Slice(BundleFormat.OffBuildId, BundleFormat.BuildIdSize);
            view.Name = b.Slice(nameAt, nameLen);
            view.Description = b.Slice(descAt, descLen);
            view.UpdatesPart = b.Slice(updAt, updLen);
            view.StringsPart = strings;
            view.EntrySymbol = b.Slice(symAt, symLen);
            view.Object = obj;
            view.KeyId = b.Slice(trailerAt, BundleFormat.KeyIdSize);
            view.Signature = b.Slice(trailerAt + BundleFormat.KeyIdSize, BundleFormat.SignatureSize);
            view.SignedBytes = b.Slice(0, trailerAt + BundleFormat.KeyIdSize);
            return BundleError.Ok;
        }
    }
}
