using System;

namespace Molt.Update.Patching
{
    /// <summary>Where a patch stopped, or <see cref="Committed"/>.</summary>
    public enum PatchStep
    {
        /// <summary>Nothing ran yet (an empty report).</summary>
        None = 0,
        /// <summary>The bytes are not a well-formed bundle.</summary>
        Parse,
        /// <summary>The signer is not the kernel's trusted key, or the signature does not verify.</summary>
        Signature,
        /// <summary>Wrong arch, build id, base level, or a replayed sequence number.</summary>
        Policy,
        /// <summary>Another update is running.</summary>
        Busy,
        /// <summary>The object could not be loaded or linked (malformed ELF, undefined symbol, relocation).</summary>
        Link,
        /// <summary>The patch's module initialization or its entry method failed.</summary>
        Init,
        /// <summary>What the patch registered differs from the updates its bundle declares.</summary>
        Match,
        /// <summary>The update core refused or aborted the swap (negotiation, transfer, self-check, time-out).</summary>
        Swap,
        /// <summary>Applied: the new versions serve.</summary>
        Committed,
    }

    /// <summary>
    /// What applying one bundle did. A plain struct the caller keeps: the
    /// detail text lives inside it, so nothing needs freeing. On a refusal
    /// <see cref="Step"/> says where, <see cref="Reason"/> what (a fixed
    /// sentence), <see cref="Detail"/> the specifics (a symbol, a
    /// relocation, an update target), and <see cref="Offset"/> the byte
    /// offset in the bundle when one applies (else -1).
    /// </summary>
    public unsafe struct PatchReport
    {
        public const int DetailCapacity = 256;
        public const int NameCapacity = 64;

        public PatchStep Step;
        public string Reason;
        public int Offset;
        /// <summary>The patch level after the call (unchanged on a refusal).</summary>
        public int Level;
        public ulong Sequence;
        public ulong ParseNs, VerifyNs, LinkNs, InitNs, SwapNs, TotalNs;
        /// <summary>The longest time any call waited in the update's Block phase.</summary>
        public ulong MaxBlockedNs;
        /// <summary>Bytes of patch memory the module occupies (text, rodata, data).</summary>
        public ulong ModuleBytes;
        /// <summary>How many classes were published before the patch's entry ran (those after are the patch's).</summary>
        public int PublishedBefore;

        private int _detailLength, _nameLength;
        private fixed byte _detail[DetailCapacity];
        private fixed byte _name[NameCapacity];

        public bool Committed => Step == PatchStep.Committed;

        public ReadOnlySpan<byte> Detail { get { fixed (byte* p = _detail) return new ReadOnlySpan<byte>(p, _detailLength); } }
        public ReadOnlySpan<byte> Name { get { fixed (byte* p = _name) return new ReadOnlySpan<byte>(p, _nameLength); } }

        internal void SetName(ReadOnlySpan<byte> name)
        {
            int n = name.Length < NameCapacity ? name.Length : NameCapacity;
            for (int i = 0; i < n; i++) _name[i] = name[i];
            _nameLength = n;
        }

        internal void AppendDetail(ReadOnlySpan<byte> text)
        {
            for (int i = 0; i < text.Length && _detailLength < DetailCapacity; i++) _detail[_detailLength++] = text[i];
        }

        internal void AppendDetail(string text)
        {
            if ((object)text == null) return;
            for (int i = 0; i < text.Length && _detailLength < DetailCapacity; i++)
                _detail[_detailLength++] = text[i] < 0x80 ? (byte)text[i] : (byte)'?';
        }

        internal void AppendDetail(long value)
        {
            if (value < 0) { AppendDetail("-"); value = -value; }
            byte* digits = stackalloc byte[20];
            int n = 0;
            do { digits[n++] = (byte)('0' + value % 10); value /= 10; } while (value != 0);
            while (n > 0 && _detailLength < DetailCapacity) _detail[_detailLength++] = digits[--n];
        }
    }
}
