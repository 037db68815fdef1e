using System.Buffers.Binary;
using System.Text;

namespace Molt.Image;

/// <summary>A symbol read from an ELF64 .symtab.</summary>
/// <summary>One defined symbol. <paramref name="Visibility"/> is st_other's low two bits (2 = hidden).</summary>
public readonly record struct ElfSymbol(string Name, ulong Address, ulong Size, byte Type, byte Bind = ElfSymbols.StbGlobal, byte Visibility = 0)
{
    /// <summary>
    /// A symbol other objects could link against: global or weak, or local
    /// with hidden visibility, which is how ld.lld writes a hidden global of
    /// its input (every ilc symbol) into a static image.
    /// </summary>
    public bool IsLinkable => Bind == ElfSymbols.StbGlobal || Bind == ElfSymbols.StbWeak || (Bind == ElfSymbols.StbLocal && Visibility == ElfSymbols.StvHidden);
}

/// <summary>
/// Reads the symbol table of a little-endian ELF64 file. Errors name the
/// file and the byte offset of what was wrong, and throw <see cref="InvalidDataException"/>.
/// Every offset and size from the file is checked as a range (offset, size)
/// within it before use, without adding them first, so a hostile value can't
/// overflow into a bogus "in range" (tests/Molt.Tests fuzzes this).
/// </summary>
public static class ElfSymbols
{
    public const byte SttNoType = 0, SttObject = 1, SttFunc = 2;
    public const byte StbLocal = 0, StbGlobal = 1, StbWeak = 2;
    public const byte StvHidden = 2;
    private const uint ShtSymtab = 2, ShtStrtab = 3;
    private const int SymbolEntrySize = 24;

    public static List<ElfSymbol> Read(byte[] elf, string fileName)
    {
        var f = new Reader(elf, fileName);
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw f.Error("not an ELF file", 0);
        if (elf[4] != 2 || elf[5] != 1)
            throw f.Error("not a little-endian ELF64 file", 4);
        ulong shoff = f.U64(0x28);
        int shentsize = f.U16(0x3A);
        int shnum = f.U16(0x3C);
        if (shentsize < 64) throw f.Error($"section header size {shentsize} too small", 0x3A);
        f.Range(shoff, (ulong)shnum * (ulong)shentsize, "section header table", 0x28);

        var symbols = new List<ElfSymbol>();
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)shoff + i * shentsize;
            if (f.U32(sh + 4) != ShtSymtab) continue;
            int symOff = f.Range(f.U64(sh + 0x18), f.U64(sh + 0x20), "symbol table", sh + 0x18);
            ulong symSize = f.U64(sh + 0x20);
            ulong entSize = f.U64(sh + 0x38);
            if (entSize < SymbolEntrySize) throw f.Error($"symbol entry size {entSize} too small", sh + 0x38);

            uint link = f.U32(sh + 0x28);
            if (link >= (uint)shnum) throw f.Error($"string table section {link} does not exist ({shnum} sections)", sh + 0x28);
            int strSh = (int)shoff + (int)link * shentsize;
            if (f.U32(strSh + 4) != ShtStrtab) throw f.Error($"section {link} linked as the string table is not one", strSh + 4);
            int strOff = f.Range(f.U64(strSh + 0x18), f.U64(strSh + 0x20), "string table", strSh + 0x18);
            int strSize = (int)f.U64(strSh + 0x20); // fits: Range checked it against the file's length

            // s + entSize <= symSize, written so that nothing can overflow.
            for (ulong s = 0; symSize - s >= entSize; s += entSize)
            {
                int e = symOff + (int)s;
                uint nameOff = f.U32(e);
                byte info = elf[e + 4];
                ushort shndx = f.U16(e + 6);
                ulong value = f.U64(e + 8);
                ulong size = f.U64(e + 16);
                if (shndx == 0 || nameOff == 0 || nameOff >= (uint)strSize) continue;
                int start = strOff + (int)nameOff;
                int end = Array.IndexOf(elf, (byte)0, start, strOff + strSize - start);
                if (end < 0) end = strOff + strSize; // unterminated: the name runs to the table's end
                string name = Encoding.UTF8.GetString(elf, start, end - start);
                symbols.Add(new ElfSymbol(name, value, size, (byte)(info & 0xF), (byte)(info >> 4), (byte)(elf[e + 5] & 3)));
            }
        }
        return symbols;
    }

    /// <summary>Bounds-checked little-endian reads that fail with the file name and offset.</summary>
    private readonly struct Reader(byte[] elf, string fileName)
    {
        public InvalidDataException Error(string what, long offset) =>
            new($"{fileName}: {what} (offset 0x{offset:x})");

        /// <summary>Checks that [offset, offset + size) lies in the file; returns offset as an int.</summary>
        public int Range(ulong offset, ulong size, string what, int fieldOffset)
        {
            if (offset > (ulong)elf.Length || size > (ulong)elf.Length - offset)
                throw Error($"{what} at 0x{offset:x}, 0x{size:x} bytes, is past the end of the file ({elf.Length} bytes)", fieldOffset);
            return (int)offset;
        }

        public ushort U16(int o) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(o, 2));
        public uint U32(int o) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(o, 4));
        public ulong U64(int o) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(o, 8));

        private ReadOnlySpan<byte> Slice(int o, int n)
        {
            if (o < 0 || o > elf.Length - n)
                throw Error($"read of {n} bytes is past the end of the file ({elf.Length} bytes)", o);
            return elf.AsSpan(o, n);
        }
    }
}
