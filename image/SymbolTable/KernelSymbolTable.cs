using System.Buffers.Binary;
using System.Text;

namespace Molt.Image;

/// <summary>
/// Builds the table the kernel embeds in .ksyms for its backtraces and type
/// names (read by kernel/Diagnostics/Symbols.cs):
/// header {u32 magic "KSYM", u32 count, u32 namesOffset, u32 namesSize},
/// then count entries {u64 address, u32 nameOffset, u32 size} sorted by
/// address, then NUL-terminated names. Output is deterministic: same ELF,
/// same bytes.
/// </summary>
public static class KernelSymbolTable
{
    public const uint Magic = 0x4D59534B;
    public const int HeaderSize = 16, EntrySize = 16;

    /// <summary>
    /// Builds the table from <paramref name="symbols"/> at or above <paramref name="low"/>.
    /// Symbols at or past <c>__ksyms_start</c> are left out: they are the
    /// table itself and the image end, which move when the table is filled in.
    /// </summary>
    public static byte[] Build(IEnumerable<ElfSymbol> symbols, ulong low)
    {
        var all = symbols.ToList();
        ulong high = all.Where(s => s.Name == "__ksyms_start").Select(s => s.Address).DefaultIfEmpty(ulong.MaxValue).First();
        var chosen = all
            .Where(s => s.Address >= low && s.Address < high && (s.Type == ElfSymbols.SttFunc || s.Type == ElfSymbols.SttObject || s.Type == ElfSymbols.SttNoType))
            .Where(s => !s.Name.StartsWith(".L") && !s.Name.StartsWith("$"))
            .GroupBy(s => s.Address)
            .Select(g => g.OrderByDescending(s => s.Type == ElfSymbols.SttFunc).ThenByDescending(s => s.Size).ThenBy(s => s.Name, StringComparer.Ordinal).First())
            .OrderBy(s => s.Address)
            .ToList();
        var names = new MemoryStream();
        var offsets = new uint[chosen.Count];
        for (int i = 0; i < chosen.Count; i++)
        {
            offsets[i] = (uint)names.Length;
            var bytes = Encoding.UTF8.GetBytes(chosen[i].Name);
            names.Write(bytes);
            names.WriteByte(0);
        }
        int namesOffset = HeaderSize + EntrySize * chosen.Count;
        var output = new byte[namesOffset + names.Length];
        var span = output.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)chosen.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)namesOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)names.Length);
        for (int i = 0; i < chosen.Count; i++)
        {
            var e = span[(HeaderSize + i * EntrySize)..];
            BinaryPrimitives.WriteUInt64LittleEndian(e, chosen[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], offsets[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)Math.Min(chosen[i].Size, uint.MaxValue));
        }
        names.ToArray().CopyTo(output, namesOffset);
        return output;
    }

    /// <summary>Finds the symbol containing an address in a built table, as the kernel does.</summary>
    public static string? Lookup(byte[] table, ulong address)
    {
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4));
        uint namesOffset = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(8));
        int best = -1;
        for (int i = 0; i < count; i++)
        {
            ulong a = BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(HeaderSize + i * EntrySize));
            if (a <= address) best = i; else break;
        }
        if (best < 0) return null;
        var e = table.AsSpan(HeaderSize + best * EntrySize);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
        ulong start = BinaryPrimitives.ReadUInt64LittleEndian(e);
        if (size != 0 && address >= start + size) return null;
        int n = (int)(namesOffset + BinaryPrimitives.ReadUInt32LittleEndian(e[8..]));
        int end = n;
        while (table[end] != 0) end++;
        return Encoding.UTF8.GetString(table, n, end - n);
    }
}
