namespace Molt.Update.Linker
{
    /// <summary>What applying one relocation gave.</summary>
    public enum RelocationStatus
    {
        Ok,
        /// <summary>The value does not fit the field (the caller may use a veneer for branches).</summary>
        Overflow,
        /// <summary>The value is not aligned as the field's scale requires (LDSTn_LO12, branch targets).</summary>
        Misaligned,
        /// <summary>The type is not one this linker applies.</summary>
        Unsupported,
    }

    /// <summary>
    /// The arithmetic of every relocation type the linker applies, one pure
    /// function per field shape. S = symbol address, A = addend, P = address
    /// of the field. Instruction fields are patched in place (other bits kept).
    /// The host tests exercise each type at its range limits.
    /// </summary>
    public static class RelocationMath
    {
        /// <summary>Bytes a relocation type writes, or 0 for NONE, or -1 when unsupported.</summary>
        public static int Width(PatchArch arch, uint type)
        {
            if (arch == PatchArch.X64)
            {
                switch (type)
                {
                    case Elf.R_X86_64_NONE: return 0;
                    case Elf.R_X86_64_64: case Elf.R_X86_64_PC64: return 8;
                    case Elf.R_X86_64_PC32: case Elf.R_X86_64_PLT32: case Elf.R_X86_64_32: case Elf.R_X86_64_32S: return 4;
                }
                return -1;
            }
            switch (type)
            {
                case Elf.R_AARCH64_NONE: case Elf.R_AARCH64_NONE_ALT: return 0;
                case Elf.R_AARCH64_ABS64: case Elf.R_AARCH64_PREL64: return 8;
                case Elf.R_AARCH64_ABS32: case Elf.R_AARCH64_PREL32:
                case Elf.R_AARCH64_ADR_PREL_PG_HI21: case Elf.R_AARCH64_ADR_PREL_PG_HI21_NC: case Elf.R_AARCH64_ADD_ABS_LO12_NC:
                case Elf.R_AARCH64_LDST8_ABS_LO12_NC: case Elf.R_AARCH64_LDST16_ABS_LO12_NC: case Elf.R_AARCH64_LDST32_ABS_LO12_NC:
                case Elf.R_AARCH64_LDST64_ABS_LO12_NC: case Elf.R_AARCH64_LDST128_ABS_LO12_NC:
                case Elf.R_AARCH64_JUMP26: case Elf.R_AARCH64_CALL26:
                    return 4;
            }
            return -1;
        }

        public static bool IsBranch26(PatchArch arch, uint type) => arch == PatchArch.Arm64 && (type == Elf.R_AARCH64_CALL26 || type == Elf.R_AARCH64_JUMP26);

        /// <summary>
        /// Applies one relocation to <paramref name="field"/> (exactly <see cref="Width"/> bytes).
        /// On anything but Ok the field is unchanged; <paramref name="value"/> is the computed value.
        /// </summary>
        public static RelocationStatus Apply(PatchArch arch, uint type, System.Span<byte> field, ulong s, long a, ulong p, out long value)
        {
            ulong sa = s + (ulong)a;
            value = (long)sa;
            if (arch == PatchArch.X64)
            {
                switch (type)
                {
                    case Elf.R_X86_64_NONE: return RelocationStatus.Ok;
                    case Elf.R_X86_64_64: Elf.Put64(field, 0, sa); return RelocationStatus.Ok;
                    case Elf.R_X86_64_PC64: value = (long)(sa - p); Elf.Put64(field, 0, sa - p); return RelocationStatus.Ok;
                    case Elf.R_X86_64_PC32:
                    case Elf.R_X86_64_PLT32:
                        value = (long)(sa - p);
                        return PutSigned32(field, value);
                    case Elf.R_X86_64_32:
                        if (sa > uint.MaxValue) return RelocationStatus.Overflow;
                        Elf.Put32(field, 0, (uint)sa);
                        return RelocationStatus.Ok;
                    case Elf.R_X86_64_32S:
                        return PutSigned32(field, value);
                }
                return RelocationStatus.Unsupported;
            }
            uint insn = field.Length >= 4 ? Elf.U32(field, 0) : 0;
            switch (type)
            {
                case Elf.R_AARCH64_NONE: case Elf.R_AARCH64_NONE_ALT: return RelocationStatus.Ok;
                case Elf.R_AARCH64_ABS64: Elf.Put64(field, 0, sa); return RelocationStatus.Ok;
                case Elf.R_AARCH64_PREL64: value = (long)(sa - p); Elf.Put64(field, 0, sa - p); return RelocationStatus.Ok;
                case Elf.R_AARCH64_ABS32:
                    // AAELF64: -2^31 <= X < 2^32.
                    if (value < int.MinValue || value > uint.MaxValue) return RelocationStatus.Overflow;
                    Elf.Put32(field, 0, (uint)sa);
                    return RelocationStatus.Ok;
                case Elf.R_AARCH64_PREL32:
                    value = (long)(sa - p);
                    if (value < int.MinValue || value > uint.MaxValue) return RelocationStatus.Overflow;
                    Elf.Put32(field, 0, (uint)value);
                    return RelocationStatus.Ok;
                case Elf.R_AARCH64_ADR_PREL_PG_HI21:
                case Elf.R_AARCH64_ADR_PREL_PG_HI21_NC:
                {
                    long pages = (long)(sa & ~0xFFFUL) - (long)(p & ~0xFFFUL);
                    value = pages;
                    pages >>= 12;
                    if (type == Elf.R_AARCH64_ADR_PREL_PG_HI21 && (pages < -(1L << 20) || pages >= (1L << 20))) return RelocationStatus.Overflow;
                    Elf.Put32(field, 0, EncodeAdrImmediate(insn, pages));
                    return RelocationStatus.Ok;
                }
                case Elf.R_AARCH64_ADD_ABS_LO12_NC:
                case Elf.R_AARCH64_LDST8_ABS_LO12_NC:
                    Elf.Put32(field, 0, EncodeImm12(insn, (uint)(sa & 0xFFF)));
                    return RelocationStatus.Ok;
                case Elf.R_AARCH64_LDST16_ABS_LO12_NC: return PutScaledLo12(field, insn, sa, 1);
                case Elf.R_AARCH64_LDST32_ABS_LO12_NC: return PutScaledLo12(field, insn, sa, 2);
                case Elf.R_AARCH64_LDST64_ABS_LO12_NC: return PutScaledLo12(field, insn, sa, 3);
                case Elf.R_AARCH64_LDST128_ABS_LO12_NC: return PutScaledLo12(field, insn, sa, 4);
                case Elf.R_AARCH64_JUMP26:
                case Elf.R_AARCH64_CALL26:
                {
                    value = (long)(sa - p);
                    if ((value & 3) != 0) return RelocationStatus.Misaligned;
                    if (!Branch26InRange(value)) return RelocationStatus.Overflow;
                    Elf.Put32(field, 0, (insn & 0xFC000000u) | ((uint)(value >> 2) & 0x03FFFFFFu));
                    return RelocationStatus.Ok;
                }
            }
            return RelocationStatus.Unsupported;
        }

        /// <summary>B/BL reach: -2^27 &lt;= displacement &lt; 2^27 (±128 MiB).</summary>
        public static bool Branch26InRange(long displacement) => displacement >= -(1L << 27) && displacement < (1L << 27);

        private static RelocationStatus PutSigned32(System.Span<byte> field, long value)
        {
            if (value < int.MinValue || value > int.MaxValue) return RelocationStatus.Overflow;
            Elf.Put32(field, 0, (uint)(int)value);
            return RelocationStatus.Ok;
        }

        /// <summary>ADRP: immlo (2 bits) at [30:29], immhi (19 bits) at [23:5].</summary>
        public static uint EncodeAdrImmediate(uint insn, long pages)
        {
            uint imm = (uint)pages & 0x1FFFFF;
            return (insn & ~((3u << 29) | (0x7FFFFu << 5))) | ((imm & 3) << 29) | ((imm >> 2) << 5);
        }

        /// <summary>ADD/LDR/STR unsigned immediate: imm12 at [21:10].</summary>
        public static uint EncodeImm12(uint insn, uint imm12) => (insn & ~(0xFFFu << 10)) | ((imm12 & 0xFFF) << 10);

        private static RelocationStatus PutScaledLo12(System.Span<byte> field, uint insn, ulong sa, int scale)
        {
            uint lo = (uint)(sa & 0xFFF);
            if ((lo & ((1u << scale) - 1)) != 0) return RelocationStatus.Misaligned;
            Elf.Put32(field, 0, EncodeImm12(insn, lo >> scale));
            return RelocationStatus.Ok;
        }

        // ---- veneers (arm64): ldr x16, #8; br x16; .quad target ----
        public const int VeneerSize = 16;
        public const uint LdrX16Literal8 = 0x58000050, BrX16 = 0xD61F0200;

        public static void WriteVeneer(System.Span<byte> at, ulong target)
        {
            Elf.Put32(at, 0, LdrX16Literal8);
            Elf.Put32(at, 4, BrX16);
            Elf.Put64(at, 8, target);
        }
    }
}
