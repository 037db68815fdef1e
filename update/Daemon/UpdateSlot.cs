using System;
using System.Threading;
using Molt.Net.Http;
using Molt.Update.Bundles;

namespace Molt.Update.Daemon
{
    public enum SlotState { Idle = 0, Receiving, Applying, RollingBack }

    /// <summary>
    /// The daemon's one update at a time. A push holds the slot from the
    /// moment its head arrives (so a second push is refused before it sends
    /// a byte) through receiving and applying; a rollback holds it while it
    /// runs. Whoever is refused is told what holds it: the bundle's name as
    /// soon as its bytes have arrived, and how far the upload got.
    /// Invariant: exactly one of Claim's winners calls Release, whatever
    /// becomes of its request (the HTTP session's Abandoned covers a peer
    /// that leaves mid-upload).
    /// </summary>
    public static class UpdateSlot
    {
        private static int s_state;
        private static int s_rollbackTo;
        private static byte[] s_upload;
        private static volatile HttpRequestParser s_receiving;

        public static SlotState State => (SlotState)Volatile.Read(in s_state);

        /// <summary>True when the slot was idle and is now the caller's, in <paramref name="state"/>.</summary>
        public static bool TryClaim(SlotState state) => Interlocked.CompareExchange(ref s_state, (int)state, 0) == 0;

        /// <summary>The holder's upload is arriving through <paramref name="parser"/> into <paramref name="upload"/>.</summary>
        public static void Receiving(HttpRequestParser parser, byte[] upload) { s_upload = upload; s_receiving = parser; }

        public static void Applying() { s_receiving = null; Volatile.Write(ref s_state, (int)SlotState.Applying); }

        public static void RollingBackTo(int level) => s_rollbackTo = level;

        public static void Release() { s_receiving = null; Volatile.Write(ref s_state, 0); }

        /// <summary>
        /// What holds the slot, as one ASCII line in <paramref name="into"/>
        /// ("kv-fix-case (receiving 12288 of 26512 bytes)"); its length, 0 when idle.
        /// Read while the holder writes: every field is checked before use.
        /// </summary>
        public static int Describe(Span<byte> into)
        {
            var text = new TextBuilder(into);
            SlotState state = State;
            if (state == SlotState.Idle) return 0;
            if (state == SlotState.RollingBack) { text.Append("rollback to level "); text.Append(s_rollbackTo); return text.Length; }
            HttpRequestParser parser = s_receiving;
            int received = parser == null ? (s_upload == null ? 0 : s_upload.Length) : parser.BodyLength;
            AppendName(ref text, received);
            if (state == SlotState.Applying) text.Append(" (applying)");
            else if (parser != null)
            {
                text.Append(" (receiving "); text.Append(parser.BodyLength);
                if (parser.ContentLength > 0) { text.Append(" of "); text.Append(parser.ContentLength); }
                text.Append(" bytes)");
            }
            return text.Length;
        }

        /// <summary>The bundle's name part once it has arrived (printable ASCII only), else "a bundle".</summary>
        private static void AppendName(ref TextBuilder text, int received)
        {
            byte[] b = s_upload;
            int dir = BundleFormat.OffParts + (int)BundlePart.Name * 8;
            if (b != null && received >= dir + 8 && b.Length >= dir + 8)
            {
                int offset = b[dir] | b[dir + 1] << 8 | b[dir + 2] << 16 | b[dir + 3] << 24;
                int length = b[dir + 4] | b[dir + 5] << 8 | b[dir + 6] << 16 | b[dir + 7] << 24;
                if (offset > 0 && length > 0 && length <= BundleFormat.MaxNameBytes && offset <= received - length && offset <= b.Length - length)
                {
                    bool printable = true;
                    for (int i = 0; i < length; i++) printable &= b[offset + i] >= 0x20 && b[offset + i] < 0x7F;
                    if (printable) { text.Append(new ReadOnlySpan<byte>(b, offset, length)); return; }
                }
            }
            text.Append("a bundle");
        }
    }

    /// <summary>ASCII text into a caller's span; what does not fit is dropped.</summary>
    public ref struct TextBuilder
    {
        private readonly Span<byte> _buffer;
        public int Length;

        public TextBuilder(Span<byte> buffer) { _buffer = buffer; Length = 0; }

        public ReadOnlySpan<byte> Text => _buffer.Slice(0, Length);

        public void Append(string s) { for (int i = 0; i < s.Length; i++) Put(s[i] < 0x80 ? (byte)s[i] : (byte)'?'); }
        public void Append(ReadOnlySpan<byte> s) { for (int i = 0; i < s.Length; i++) Put(s[i]); }

        public void Append(long v)
        {
            if (v < 0) { Put((byte)'-'); v = -v; }
            Span<byte> digits = stackalloc byte[20];
            int n = 0;
            do { digits[n++] = (byte)('0' + v % 10); v /= 10; } while (v != 0);
            while (n > 0) Put(digits[--n]);
        }

        private void Put(byte b) { if (Length < _buffer.Length) _buffer[Length++] = b; }
    }
}
