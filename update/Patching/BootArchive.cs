using System;

namespace Molt.Update.Patching
{
    /// <summary>
    /// Reads the boot module as a cpio "newc" archive (what <c>cpio -o -H newc</c>
    /// and Linux initramfs use): each file a 110-byte ASCII header
    /// ("070701" and thirteen 8-digit hex fields), its NUL-terminated name,
    /// padding to 4 bytes, its data, padding to 4; the last entry is named
    /// "TRAILER!!!". Nothing is copied: files are spans into the module.
    /// Every field is checked against the archive's length; a malformed
    /// archive ends the walk with <see cref="Error"/> and the byte offset.
    /// </summary>
    public ref struct BootArchive
    {
        public const int HeaderSize = 110;
        private const int FieldFileSize = 6, FieldNameSize = 11;

        private readonly ReadOnlySpan<byte> _archive;
        private int _next;

        /// <summary>Why the walk stopped early (a fixed sentence), or null.</summary>
        public string Error;
        /// <summary>The byte offset <see cref="Error"/> refers to.</summary>
        public int ErrorOffset;

        public BootArchive(ReadOnlySpan<byte> archive)
        {
            _archive = archive;
            _next = 0;
            Error = null;
            ErrorOffset = 0;
        }

        /// <summary>The next file; false at the trailer, at the end, or on a malformed entry (<see cref="Error"/>).</summary>
        public bool Next(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
        {
            name = default; data = default;
            if (Error != null || _next >= _archive.Length) return false;
            int at = _next;
            if (_archive.Length - at < HeaderSize) return Fail("truncated cpio header", at);
            ReadOnlySpan<byte> h = _archive.Slice(at, HeaderSize);
            if (h[0] != '0' || h[1] != '7' || h[2] != '0' || h[3] != '7' || h[4] != '0' || h[5] != '1')
                return Fail("not a cpio newc header (magic 070701)", at);
            if (!Hex(h, FieldFileSize, out uint fileSize) || !Hex(h, FieldNameSize, out uint nameSize))
                return Fail("a cpio header field is not hexadecimal", at);
            if (nameSize == 0 || nameSize > 4096) return Fail("cpio name size out of range", at + 6 + FieldNameSize * 8);
            long nameEnd = (long)at + HeaderSize + nameSize;
            long dataStart = Align4(nameEnd);
            long dataEnd = dataStart + fileSize;
            if (nameEnd > _archive.Length || dataEnd > _archive.Length) return Fail("cpio entry runs past the end of the archive", at);
            name = _archive.Slice(at + HeaderSize, (int)nameSize - 1); // without the NUL
            data = _archive.Slice((int)dataStart, (int)fileSize);
            _next = (int)Align4(dataEnd);
            if (name.SequenceEqual("TRAILER!!!"u8)) { _next = _archive.Length; return false; }
            return true;
        }

        private bool Fail(string why, int offset)
        {
            Error = why;
            ErrorOffset = offset;
            return false;
        }

        private static long Align4(long v) => (v + 3) & ~3L;

        private static bool Hex(ReadOnlySpan<byte> header, int field, out uint value)
        {
            value = 0;
            int at = 6 + field * 8;
            for (int i = 0; i < 8; i++)
            {
                int c = header[at + i], d;
                if (c >= '0' && c <= '9') d = c - '0';
                else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
                else return false;
                value = value << 4 | (uint)d;
            }
            return true;
        }
    }
}
