namespace Molt.Update.Linker
{
    /// <summary>Why a patch object was refused. The message says the details.</summary>
    public enum LinkErrorCode
    {
        None = 0,
        /// <summary>The ELF header: size, magic, class, byte order, version, type, machine, header sizes.</summary>
        BadHeader,
        /// <summary>The section header table or a section header: bounds, alignment, overlap, links.</summary>
        BadSection,
        /// <summary>A string table, or a name not inside one.</summary>
        BadString,
        /// <summary>The symbol table or a symbol: section index, value outside its section, COMMON, TLS.</summary>
        BadSymbol,
        /// <summary>A relocation section or entry: symbol index, offset outside its section.</summary>
        BadRelocation,
        /// <summary>A relocation type the linker does not apply.</summary>
        UnsupportedRelocation,
        /// <summary>A relocated value does not fit its field (and no veneer can help), or is misaligned for it.</summary>
        RelocationOverflow,
        /// <summary>A COMDAT group section: size, flags, members, signature.</summary>
        BadGroup,
        /// <summary>Undefined symbols that neither the kernel nor a loaded patch defines (all named, up to a bound).</summary>
        UndefinedSymbols,
        /// <summary>A relocation names a symbol in a section that is not loaded (debug, unwind tables) and defined nowhere else.</summary>
        SymbolNotLoaded,
        /// <summary>A feature patches may not use (thread-local data, common symbols, huge alignment).</summary>
        Unsupported,
        /// <summary>No <c>__modules</c> section, or its ReadyToRun header is not valid.</summary>
        BadModule,
        /// <summary>Frames, heap or patch address space exhausted.</summary>
        OutOfMemory,
        /// <summary>Scratch or buffers given to the linker are smaller than the plan needs.</summary>
        BufferTooSmall,
    }

    /// <summary>
    /// A refusal: a code and a one-line ASCII message naming what and where
    /// (section name and index, byte offset, symbol name and index,
    /// relocation type number and name). Built without allocating, so the
    /// kernel can report it from any state; 0 means no error.
    /// </summary>
    public unsafe struct LinkError
    {
        public const int Capacity = 1024;
        public LinkErrorCode Code;
        private int _length;
        private fixed byte _text[Capacity];

        public bool Failed => Code != LinkErrorCode.None;
        public int Length => _length;
        public byte this[int i] => (uint)i < (uint)_length ? _text[i] : (byte)0;

        /// <summary>Starts a new message (the previous one, if any, is replaced).</summary>
        public void Set(LinkErrorCode code, string text)
        {
            Code = code;
            _length = 0;
            Append(text);
        }

        public void Clear() { Code = LinkErrorCode.None; _length = 0; }

        public void Append(string s)
        {
            for (int i = 0; i < s.Length; i++) Put(s[i] < 128 ? (byte)s[i] : (byte)'?');
        }

        /// <summary>Appends bytes (a name from the object), printable ASCII only, at most 200.</summary>
        public void Append(System.ReadOnlySpan<byte> s)
        {
            int n = s.Length < 200 ? s.Length : 200;
            for (int i = 0; i < n; i++) Put(s[i] >= 32 && s[i] < 127 ? s[i] : (byte)'?');
            if (n < s.Length) Append("...");
        }

        public void AppendDecimal(long v)
        {
            if (v < 0) { Put((byte)'-'); v = -v; }
            byte* digits = stackalloc byte[20];
            int n = 0;
            ulong u = (ulong)v;
            do { digits[n++] = (byte)('0' + (int)(u % 10)); u /= 10; } while (u != 0);
            while (n > 0) Put(digits[--n]);
        }

        public void AppendHex(ulong v)
        {
            Put((byte)'0'); Put((byte)'x');
            int shift = 60;
            while (shift > 0 && ((v >> shift) & 0xF) == 0) shift -= 4;
            for (; shift >= 0; shift -= 4)
            {
                int d = (int)((v >> shift) & 0xF);
                Put((byte)(d < 10 ? '0' + d : 'a' + d - 10));
            }
        }

        private void Put(byte b)
        {
            if (_length < Capacity) _text[_length++] = b;
        }

        /// <summary>Copies the message into <paramref name="dest"/>; returns the bytes copied.</summary>
        public int CopyTo(System.Span<byte> dest)
        {
            int n = _length < dest.Length ? _length : dest.Length;
            for (int i = 0; i < n; i++) dest[i] = _text[i];
            return n;
        }
    }
}
