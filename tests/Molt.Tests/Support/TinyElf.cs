using System.Buffers.Binary;
using System.Text;
using Molt.Image;

namespace Molt.Tests.Support;

/// <summary>
/// Writes a minimal little-endian ELF64 with a .symtab and .strtab, so the
/// symbol-table code can be tested without a kernel build. Layout: ELF
/// header, .strtab, .symtab, .shstrtab, then the section header table
/// (null, .text, .symtab, .strtab, .shstrtab).
/// </summary>
public static class TinyElf
{
    /// <summary>Section index the symbols are placed in (.text).</summary>
    public const ushort TextSection = 1;

    /// <summary>Builds the file; <paramref name="symbols"/> go in after the null symbol.</summary>
    public static byte[] Build(IEnumerable<ElfSymbol> symbols, ushort shndx = TextSection)
    {
        var syms = symbols.ToList();
        var strtab = new MemoryStream();
        strtab.WriteByte(0);
        var nameOffsets = new List<uint>();
        foreach (var s in syms)
        {
            nameOffsets.Add((uint)strtab.Length);
            strtab.Write(Encoding.UTF8.GetBytes(s.Name));
            strtab.WriteByte(0);
        }
        byte[] shstr = Encoding.ASCII.GetBytes("\0.text\0.symtab\0.strtab\0.shstrtab\0");
        int strOff = 64, strSize = (int)strtab.Length;
        int symOff = Align(strOff + strSize, 8), symSize = 24 * (syms.Count + 1);
        int shstrOff = symOff + symSize;
        int shOff = Align(shstrOff + shstr.Length, 8);
        const int shnum = 5;
        var elf = new byte[shOff + 64 * shnum];
        var b = elf.AsSpan();

        // ELF header
        "\x7F"u8.CopyTo(b); "ELF"u8.CopyTo(b[1..]);
        b[4] = 2; b[5] = 1; b[6] = 1; // ELFCLASS64, little-endian, version 1
        U16(b, 0x10, 2);            // ET_EXEC
        U16(b, 0x12, 62);           // EM_X86_64
        U32(b, 0x14, 1);
        U64(b, 0x28, (ulong)shOff);
        U16(b, 0x34, 64);           // e_ehsize
        U16(b, 0x3A, 64);           // e_shentsize
        U16(b, 0x3C, shnum);
        U16(b, 0x3E, 4);            // e_shstrndx

        strtab.ToArray().CopyTo(elf, strOff);
        for (int i = 0; i < syms.Count; i++)
        {
            var e = b[(symOff + 24 * (i + 1))..];
            U32(e, 0, nameOffsets[i]);
            e[4] = (byte)((syms[i].Bind << 4) | (syms[i].Type & 0xF));
            U16(e, 6, shndx);
            U64(e, 8, syms[i].Address);
            U64(e, 16, syms[i].Size);
        }
        shstr.CopyTo(elf, shstrOff);

        Section(b, shOff, 1, name: 1, type: 1, offset: 0, size: 0, link: 0, entsize: 0);            // .text PROGBITS
        Section(b, shOff, 2, name: 7, type: 2, offset: symOff, size: symSize, link: 3, entsize: 24); // .symtab
        Section(b, shOff, 3, name: 15, type: 3, offset: strOff, size: strSize, link: 0, entsize: 0); // .strtab
        Section(b, shOff, 4, name: 23, type: 3, offset: shstrOff, size: shstr.Length, link: 0, entsize: 0);
        return elf;
    }

    /// <summary>Offset of section header <paramref name="index"/> in a file made by <see cref="Build"/>.</summary>
    public static int SectionHeader(byte[] elf, int index) =>
        (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28)) + 64 * index;

    private static void Section(Span<byte> b, int shOff, int index, uint name, uint type, int offset, int size, uint link, ulong entsize)
    {
        var h = b[(shOff + 64 * index)..];
        U32(h, 0, name);
        U32(h, 4, type);
        U64(h, 0x18, (ulong)offset);
        U64(h, 0x20, (ulong)size);
        U32(h, 0x28, link);
        U64(h, 0x30, 8);
        U64(h, 0x38, entsize);
    }

    private static int Align(int v, int a) => (v + a - 1) & ~(a - 1);
    private static void U16(Span<byte> b, int o, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b[o..], v);
    private static void U32(Span<byte> b, int o, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b[o..], v);
    private static void U64(Span<byte> b, int o, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[o..], v);
}
