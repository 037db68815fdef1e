namespace Molt.Update.Linker
{
    /// <summary>The target architectures of a patch object (the ELF e_machine values).</summary>
    public enum PatchArch : ushort
    {
        X64 = 62,     // EM_X86_64
        Arm64 = 183,  // EM_AARCH64
    }

    /// <summary>
    /// ELF64 constants and little-endian field readers for relocatable
    /// objects. Readers take an offset the caller already bounds-checked.
    /// Shared by the kernel and the host tests (no kernel-only types).
    /// </summary>
    public static class Elf
    {
        public const int HeaderSize = 64, SectionHeaderSize = 64, SymbolSize = 24, RelaSize = 24;
        public const ushort TypeRelocatable = 1;

        // Section types.
        public const uint ShtNull = 0, ShtProgbits = 1, ShtSymtab = 2, ShtStrtab = 3, ShtRela = 4, ShtNobits = 8, ShtRel = 9;
        public const uint ShtGroup = 17, ShtSymtabShndx = 18, ShtX86Unwind = 0x70000001;
        // Section flags.
        public const ulong ShfWrite = 1, ShfAlloc = 2, ShfExecInstr = 4, ShfTls = 0x400;
        public const uint GroupComdat = 1;

        // Special section indices.
        public const ushort ShnUndef = 0, ShnLoReserve = 0xff00, ShnAbs = 0xfff1, ShnCommon = 0xfff2, ShnXindex = 0xffff;

        // Symbol binding and type.
        public const byte StbLocal = 0, StbGlobal = 1, StbWeak = 2;
        public const byte SttNotype = 0, SttObject = 1, SttFunc = 2, SttSection = 3, SttFile = 4, SttTls = 6;

        // x86-64 relocation types.
        public const uint R_X86_64_NONE = 0, R_X86_64_64 = 1, R_X86_64_PC32 = 2, R_X86_64_PLT32 = 4;
        public const uint R_X86_64_32 = 10, R_X86_64_32S = 11, R_X86_64_PC64 = 24;

        // AArch64 relocation types.
        public const uint R_AARCH64_NONE = 0, R_AARCH64_NONE_ALT = 256;
        public const uint R_AARCH64_ABS64 = 257, R_AARCH64_ABS32 = 258, R_AARCH64_PREL64 = 260, R_AARCH64_PREL32 = 261;
        public const uint R_AARCH64_ADR_PREL_PG_HI21 = 275, R_AARCH64_ADR_PREL_PG_HI21_NC = 276, R_AARCH64_ADD_ABS_LO12_NC = 277;
        public const uint R_AARCH64_LDST8_ABS_LO12_NC = 278, R_AARCH64_JUMP26 = 282, R_AARCH64_CALL26 = 283;
        public const uint R_AARCH64_LDST16_ABS_LO12_NC = 284, R_AARCH64_LDST32_ABS_LO12_NC = 285, R_AARCH64_LDST64_ABS_LO12_NC = 286;
        public const uint R_AARCH64_LDST128_ABS_LO12_NC = 299;

        // Both targets are little-endian and allow unaligned loads of normal memory:
        // one bounds check and one load per field (the parser reads many fields).
        public static unsafe ushort U16(System.ReadOnlySpan<byte> b, int at)
        {
            if ((uint)at > (uint)b.Length || b.Length - at < 2) return Fail16();
            fixed (byte* p = b) return *(ushort*)(p + at);
        }

        public static unsafe uint U32(System.ReadOnlySpan<byte> b, int at)
        {
            if ((uint)at > (uint)b.Length || b.Length - at < 4) return Fail16();
            fixed (byte* p = b) return *(uint*)(p + at);
        }

        public static unsafe ulong U64(System.ReadOnlySpan<byte> b, int at)
        {
            if ((uint)at > (uint)b.Length || b.Length - at < 8) return Fail16();
            fixed (byte* p = b) return *(ulong*)(p + at);
        }

        /// <summary>A read past the end is a linker bug (callers check bounds first): fail like a span index would.</summary>
        private static ushort Fail16() { System.ReadOnlySpan<byte> none = default; return none[0]; }

        public static void Put32(System.Span<byte> b, int at, uint v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24);
        }

        public static void Put64(System.Span<byte> b, int at, ulong v)
        {
            Put32(b, at, (uint)v);
            Put32(b, at + 4, (uint)(v >> 32));
        }

        /// <summary>The ELF name of a relocation type, or "unknown".</summary>
        public static string RelocationName(PatchArch arch, uint type)
        {
            if (arch == PatchArch.X64)
            {
                switch (type)
                {
                    case 0: return "R_X86_64_NONE";
                    case 1: return "R_X86_64_64";
                    case 2: return "R_X86_64_PC32";
                    case 3: return "R_X86_64_GOT32";
                    case 4: return "R_X86_64_PLT32";
                    case 5: return "R_X86_64_COPY";
                    case 6: return "R_X86_64_GLOB_DAT";
                    case 7: return "R_X86_64_JUMP_SLOT";
                    case 8: return "R_X86_64_RELATIVE";
                    case 9: return "R_X86_64_GOTPCREL";
                    case 10: return "R_X86_64_32";
                    case 11: return "R_X86_64_32S";
                    case 12: return "R_X86_64_16";
                    case 13: return "R_X86_64_PC16";
                    case 14: return "R_X86_64_8";
                    case 15: return "R_X86_64_PC8";
                    case 16: return "R_X86_64_DTPMOD64";
                    case 17: return "R_X86_64_DTPOFF64";
                    case 18: return "R_X86_64_TPOFF64";
                    case 19: return "R_X86_64_TLSGD";
                    case 20: return "R_X86_64_TLSLD";
                    case 21: return "R_X86_64_DTPOFF32";
                    case 22: return "R_X86_64_GOTTPOFF";
                    case 23: return "R_X86_64_TPOFF32";
                    case 24: return "R_X86_64_PC64";
                    case 25: return "R_X86_64_GOTOFF64";
                    case 26: return "R_X86_64_GOTPC32";
                    case 41: return "R_X86_64_GOTPCRELX";
                    case 42: return "R_X86_64_REX_GOTPCRELX";
                }
            }
            else
            {
                switch (type)
                {
                    case 0: case 256: return "R_AARCH64_NONE";
                    case 257: return "R_AARCH64_ABS64";
                    case 258: return "R_AARCH64_ABS32";
                    case 259: return "R_AARCH64_ABS16";
                    case 260: return "R_AARCH64_PREL64";
                    case 261: return "R_AARCH64_PREL32";
                    case 262: return "R_AARCH64_PREL16";
                    case 263: return "R_AARCH64_MOVW_UABS_G0";
                    case 264: return "R_AARCH64_MOVW_UABS_G0_NC";
                    case 265: return "R_AARCH64_MOVW_UABS_G1";
                    case 266: return "R_AARCH64_MOVW_UABS_G1_NC";
                    case 267: return "R_AARCH64_MOVW_UABS_G2";
                    case 268: return "R_AARCH64_MOVW_UABS_G2_NC";
                    case 269: return "R_AARCH64_MOVW_UABS_G3";
                    case 273: return "R_AARCH64_LD_PREL_LO19";
                    case 274: return "R_AARCH64_ADR_PREL_LO21";
                    case 275: return "R_AARCH64_ADR_PREL_PG_HI21";
                    case 276: return "R_AARCH64_ADR_PREL_PG_HI21_NC";
                    case 277: return "R_AARCH64_ADD_ABS_LO12_NC";
                    case 278: return "R_AARCH64_LDST8_ABS_LO12_NC";
                    case 279: return "R_AARCH64_TSTBR14";
                    case 280: return "R_AARCH64_CONDBR19";
                    case 282: return "R_AARCH64_JUMP26";
                    case 283: return "R_AARCH64_CALL26";
                    case 284: return "R_AARCH64_LDST16_ABS_LO12_NC";
                    case 285: return "R_AARCH64_LDST32_ABS_LO12_NC";
                    case 286: return "R_AARCH64_LDST64_ABS_LO12_NC";
                    case 299: return "R_AARCH64_LDST128_ABS_LO12_NC";
                    case 311: return "R_AARCH64_ADR_GOT_PAGE";
                    case 312: return "R_AARCH64_LD64_GOT_LO12_NC";
                    case 1024: return "R_AARCH64_COPY";
                    case 1025: return "R_AARCH64_GLOB_DAT";
                    case 1026: return "R_AARCH64_JUMP_SLOT";
                    case 1027: return "R_AARCH64_RELATIVE";
                }
            }
            return "unknown";
        }
    }
}
