using System.Buffers.Binary;
using System.Text;

namespace Molt.Image;

/// <summary>A symbol read from an ELF64 .symtab.</summary>
public readonly record struct ElfSymbol(string Name, ulong Address, ulong Size, byte Type);

/// <summary>
/// Reads the symbol table of a little-endian ELF64 file. Errors name the
/// file and the byte offset of what was wrong, and throw <see cref="InvalidDataException"/>.
/// </summary>
public static class ElfSymbols
{
    public const byte SttNoType = 0, SttObject = 1, SttFunc = 2;

    public static List<ElfSymbol> Read(byte[] elf, string fileName)
    {
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{fileName}: not an ELF file (offset 0)");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{fileName}: not a little-endian ELF64 file (offset 4)");
        ulong shoff = U64(elf, 0x28, fileName);
        int shentsize = U16(elf, 0x3A, fileName);
        int shnum = U16(elf, 0x3C, fileName);
        if (shentsize < 64) throw new InvalidDataException($"{fileName}: section header size {shentsize} too small (offset 0x3a)");
        var symbols = new List<ElfSymbol>();
        for (int i = 0; i < shnum; i++)
        {
            int sh = Checked(shoff + (ulong)(i * shentsize), 64, elf, fileName);
            uint type = U32(elf, sh + 4, fileName);
            if (type != 2) continue; // SHT_SYMTAB
            int symOff = Checked(U64(elf, sh + 0x18, fileName), 0, elf, fileName);
            ulong symSize = U64(elf, sh + 0x20, fileName);
            uint link = U32(elf, sh + 0x28, fileName);
            ulong entSize = U64(elf, sh + 0x38, fileName);
            if (entSize < 24) throw new InvalidDataException($"{fileName}: symbol entry size {entSize} too small (offset 0x{sh + 0x38:x})");
            int strSh = Checked(shoff + (ulong)(link * shentsize), 64, elf, fileName);
            int strOff = Checked(U64(elf, strSh + 0x18, fileName), 0, elf, fileName);
            ulong strSize = U64(elf, strSh + 0x20, fileName);
            Checked((ulong)symOff + symSize, 0, elf, fileName);
            Checked((ulong)strOff + strSize, 0, elf, fileName);
            for (ulong s = 0; s + entSize <= symSize; s += entSize)
            {
                int e = symOff + (int)s;
                uint nameOff = U32(elf, e, fileName);
                byte info = elf[e + 4];
                ushort shndx = U16(elf, e + 6, fileName);
                ulong value = U64(elf, e + 8, fileName);
                ulong size = U64(elf, e + 16, fileName);
                if (shndx == 0 || nameOff == 0 || nameOff >= strSize) continue;
                int start = strOff + (int)nameOff, end = start;
                while (end < strOff + (int)strSize && elf[end] != 0) end++;
                string name = Encoding.UTF8.GetString(elf, start, end - start);
                symbols.Add(new ElfSymbol(name, value, size, (byte)(info & 0xF)));
            }
        }
        return symbols;
    }

    private static int Checked(ulong offset, int need, byte[] elf, string f)
    {
        if (offset + (ulong)need > (ulong)elf.Length)
            throw new InvalidDataException($"{f}: offset 0x{offset:x} is past the end of the file ({elf.Length} bytes)");
        return (int)offset;
    }

    private static ushort U16(byte[] b, int o, string f) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(b, o, 2, f));
    private static uint U32(byte[] b, int o, string f) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(b, o, 4, f));
    private static ulong U64(byte[] b, int o, string f) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(b, o, 8, f));

    private static ReadOnlySpan<byte> Slice(byte[] b, int o, int n, string f)
    {
        if (o < 0 || o + n > b.Length) throw new InvalidDataException($"{f}: read of {n} bytes at offset 0x{o:x} is past the end of the file");
        return b.AsSpan(o, n);
    }
}
