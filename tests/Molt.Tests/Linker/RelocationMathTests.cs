using Molt.Update.Linker;
using Xunit;

namespace Molt.Tests.Linker;

/// <summary>The arithmetic of every relocation type, at its range limits, on both arches.</summary>
public class RelocationMathTests
{
    private static (RelocationStatus, byte[], long) Apply(PatchArch arch, uint type, ulong s, long a, ulong p, uint insn = 0, int width = 8)
    {
        var field = new byte[width];
        BitConverter.GetBytes(insn).CopyTo(field, 0);
        var st = RelocationMath.Apply(arch, type, field, s, a, p, out long v);
        return (st, field, v);
    }

    private static uint U32(byte[] b) => BitConverter.ToUInt32(b, 0);
    private static ulong U64(byte[] b) => BitConverter.ToUInt64(b, 0);

    // ---- x86-64 ----
    [Fact]
    public void X64_Abs64_writes_S_plus_A()
    {
        var (st, f, _) = Apply(PatchArch.X64, Elf.R_X86_64_64, 0xFFFFFFFF80201000, 0x10, 0);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0xFFFFFFFF80201010UL, U64(f));
    }

    [Theory]
    [InlineData(Elf.R_X86_64_PC32)]
    [InlineData(Elf.R_X86_64_PLT32)]
    public void X64_Pc32_limits(uint type)
    {
        ulong p = 0xFFFFFFFF90000000;
        // S + A - P = int.MaxValue: fits.
        var (st, f, _) = Apply(PatchArch.X64, type, p + int.MaxValue + 4, -4, p, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal((uint)int.MaxValue, U32(f));
        // = int.MinValue: fits.
        (st, f, _) = Apply(PatchArch.X64, type, p - 0x80000000UL, 0, p, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0x80000000u, U32(f));
        // One past either end: overflow, field untouched.
        (st, f, _) = Apply(PatchArch.X64, type, p + 0x80000000UL, 0, p, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        Assert.Equal(0u, U32(f));
        (st, _, _) = Apply(PatchArch.X64, type, p - 0x80000001UL, 0, p, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        // The usual call: -4 addend.
        (st, f, _) = Apply(PatchArch.X64, type, p + 0x100, -4, p + 1, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0xFBu, U32(f));
    }

    [Fact]
    public void X64_32_and_32S()
    {
        var (st, f, _) = Apply(PatchArch.X64, Elf.R_X86_64_32, 0xFFFFFFFF, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0xFFFFFFFFu, U32(f));
        (st, _, _) = Apply(PatchArch.X64, Elf.R_X86_64_32, 0x100000000, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        // Kernel addresses in the top 2 GiB sign-extend from 32 bits.
        (st, f, _) = Apply(PatchArch.X64, Elf.R_X86_64_32S, 0xFFFFFFFF80000000, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0x80000000u, U32(f));
        (st, _, _) = Apply(PatchArch.X64, Elf.R_X86_64_32S, 0xFFFFFFFF7FFFFFFF, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        (st, _, _) = Apply(PatchArch.X64, Elf.R_X86_64_32S, 0x80000000, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
    }

    [Fact]
    public void X64_Pc64()
    {
        var (st, f, v) = Apply(PatchArch.X64, Elf.R_X86_64_PC64, 0x1000, 0, 0xFFFFFFFF80000000);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(unchecked(0x1000UL - 0xFFFFFFFF80000000UL), U64(f));
        Assert.Equal(unchecked((long)(0x1000UL - 0xFFFFFFFF80000000UL)), v);
    }

    [Theory]
    [InlineData(9u)]   // GOTPCREL
    [InlineData(23u)]  // TPOFF32
    [InlineData(42u)]  // REX_GOTPCRELX
    [InlineData(999u)]
    public void X64_other_types_are_unsupported(uint type)
    {
        Assert.Equal(-1, RelocationMath.Width(PatchArch.X64, type));
        var (st, _, _) = Apply(PatchArch.X64, type, 0, 0, 0);
        Assert.Equal(RelocationStatus.Unsupported, st);
    }

    // ---- AArch64 ----
    [Fact]
    public void Arm64_Abs64_Abs32_Prel64()
    {
        var (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ABS64, 0xFFFFFFFFC0800000, 8, 0);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0xFFFFFFFFC0800008UL, U64(f));
        (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ABS32, 0xFFFFFFFF, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ABS32, 0x100000000, 0, 0, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_PREL64, 0x10, 0, 0x20);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(unchecked((ulong)-0x10L), U64(f));
    }

    [Fact]
    public void Arm64_Prel32_limits()
    {
        ulong p = 0xFFFFFFFFC0000000;
        var (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_PREL32, p - 0x80000000UL, 0, p, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0x80000000u, U32(f));
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_PREL32, p - 0x80000001UL, 0, p, width: 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_PREL32, p + 0x24, 0, p, width: 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0x24u, U32(f));
    }

    [Fact]
    public void Arm64_Adrp_encodes_page_delta_and_checks_4GiB()
    {
        const uint adrpX0 = 0x90000000;
        ulong p = 0xFFFFFFFFC0801234;
        var (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, p + 0x1000, 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0xB0000000u, U32(f)); // one page: immlo = 1
        (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, p - 0x1000, 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(0xF0FFFFE0u, U32(f)); // minus one page: all immediate bits set
        // Same page, different offset: zero pages.
        (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, p + 0x10, 0, p, adrpX0 | 5, 4);
        Assert.Equal(0x90000005u, U32(f)); // register bits kept
        // Limits: +(2^20 - 1) pages fits, 2^20 pages does not; -2^20 fits.
        ulong pagep = p & ~0xFFFUL;
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, pagep + ((1UL << 32) - 0x1000), 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, pagep + (1UL << 32), 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, pagep - (1UL << 32), 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21, pagep - (1UL << 32) - 0x1000, 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        // The _NC form does not check.
        (st, _, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADR_PREL_PG_HI21_NC, pagep + (1UL << 32), 0, p, adrpX0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
    }

    [Fact]
    public void Arm64_Add_lo12_keeps_other_bits()
    {
        const uint addX0X0 = 0x91000000; // add x0, x0, #0
        var (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_ADD_ABS_LO12_NC, 0xFFFFFFFFC0801ABC, 0, 0, addX0X0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(addX0X0 | (0xABCu << 10), U32(f));
        (st, f, _) = Apply(PatchArch.Arm64, Elf.R_AARCH64_LDST8_ABS_LO12_NC, 0x1FFF, 0, 0, 0x39400000, 4); // ldrb w0,[x0]
        Assert.Equal(0x39400000u | (0xFFFu << 10), U32(f));
    }

    [Theory]
    [InlineData(Elf.R_AARCH64_LDST16_ABS_LO12_NC, 1)]
    [InlineData(Elf.R_AARCH64_LDST32_ABS_LO12_NC, 2)]
    [InlineData(Elf.R_AARCH64_LDST64_ABS_LO12_NC, 3)]
    [InlineData(Elf.R_AARCH64_LDST128_ABS_LO12_NC, 4)]
    public void Arm64_Ldst_lo12_scales_and_checks_alignment(uint type, int scale)
    {
        const uint ldrX0 = 0xF9400000;
        ulong aligned = 0xFFFFFFFFC0800000 + (0x1000UL - (1UL << scale)); // last aligned slot in the page
        var (st, f, _) = Apply(PatchArch.Arm64, type, aligned, 0, 0, ldrX0, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(ldrX0 | ((uint)((aligned & 0xFFF) >> scale) << 10), U32(f));
        (st, f, _) = Apply(PatchArch.Arm64, type, aligned + 1, 0, 0, ldrX0, 4);
        Assert.Equal(RelocationStatus.Misaligned, st);
        Assert.Equal(ldrX0, U32(f));
    }

    [Theory]
    [InlineData(Elf.R_AARCH64_CALL26, 0x94000000u)]
    [InlineData(Elf.R_AARCH64_JUMP26, 0x14000000u)]
    public void Arm64_Branch26_limits(uint type, uint opcode)
    {
        ulong p = 0xFFFFFFFFC0800000;
        var (st, f, _) = Apply(PatchArch.Arm64, type, p + (1UL << 27) - 4, 0, p, opcode, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(opcode | 0x01FFFFFFu, U32(f));
        (st, f, _) = Apply(PatchArch.Arm64, type, p - (1UL << 27), 0, p, opcode, 4);
        Assert.Equal(RelocationStatus.Ok, st);
        Assert.Equal(opcode | 0x02000000u, U32(f));
        (st, _, _) = Apply(PatchArch.Arm64, type, p + (1UL << 27), 0, p, opcode, 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        (st, _, _) = Apply(PatchArch.Arm64, type, p - (1UL << 27) - 4, 0, p, opcode, 4);
        Assert.Equal(RelocationStatus.Overflow, st);
        (st, _, _) = Apply(PatchArch.Arm64, type, p + 6, 0, p, opcode, 4);
        Assert.Equal(RelocationStatus.Misaligned, st);
        (st, f, _) = Apply(PatchArch.Arm64, type, p - 4, 0, p, opcode, 4);
        Assert.Equal(opcode | 0x03FFFFFFu, U32(f));
    }

    [Fact]
    public void Arm64_veneer_is_ldr_br_literal()
    {
        var v = new byte[16];
        RelocationMath.WriteVeneer(v, 0xFFFFFFFFC0801234);
        Assert.Equal(0x58000050u, BitConverter.ToUInt32(v, 0)); // ldr x16, #8
        Assert.Equal(0xD61F0200u, BitConverter.ToUInt32(v, 4)); // br x16
        Assert.Equal(0xFFFFFFFFC0801234UL, BitConverter.ToUInt64(v, 8));
    }

    [Theory]
    [InlineData(311u)] // ADR_GOT_PAGE
    [InlineData(274u)] // ADR_PREL_LO21
    [InlineData(1u)]
    public void Arm64_other_types_are_unsupported(uint type)
    {
        Assert.Equal(-1, RelocationMath.Width(PatchArch.Arm64, type));
        Assert.NotEqual("unknown", type == 1 ? "x" : Elf.RelocationName(PatchArch.Arm64, type));
    }
}
