using System.Buffers.Binary;
using System.Text;

namespace Molt.Image;

/// <summary>
/// Builds the table the kernel embeds in .ksyms (read by
/// kernel/Diagnostics/Symbols.cs). It serves three readers:
/// - backtraces and type names: one name per address, entries sorted by address;
/// - the patch linker: every linkable kernel symbol by name (see
///   <see cref="ElfSymbol.IsLinkable"/>), aliases included (an
///   <c>UnmanagedCallersOnly</c> entry point and its managed name share an
///   address), sorted by name bytes for a binary search;
/// - the build id: a hash of the image the table belongs to, which bundles name.
/// Layout (little-endian):
/// header {u32 magic "KSY2", u32 count, u32 namesOffset, u32 namesSize,
///         u32 exportCount, u32 exportsOffset, u8 buildId[32]},
/// count entries {u64 address, u32 nameOffset, u32 size} sorted by address,
/// exportCount exports {u64 address, u32 nameOffset, u32 nameLength} sorted by name,
/// then NUL-terminated names (each name stored once).
/// Output is deterministic: same ELF and build id, same bytes.
/// </summary>
public static class KernelSymbolTable
{
    public const uint Magic = 0x3259534B; // "KSY2"
    public const int BuildIdSize = 32;
    public const int HeaderSize = 24 + BuildIdSize, EntrySize = 16, ExportSize = 16;

    /// <summary>
    /// Builds the table from <paramref name="symbols"/> at or above <paramref name="low"/>.
    /// Symbols at or past <c>__ksyms_start</c> are left out: they are the
    /// table itself and the image end, which move when the table is filled in.
    /// </summary>
    public static byte[] Build(IEnumerable<ElfSymbol> symbols, ulong low, ReadOnlySpan<byte> buildId = default)
    {
        if (buildId.Length != 0 && buildId.Length != BuildIdSize)
            throw new ArgumentException($"a build id is {BuildIdSize} bytes, not {buildId.Length}", nameof(buildId));
        var all = symbols.ToList();
        ulong high = all.Where(s => s.Name == "__ksyms_start").Select(s => s.Address).DefaultIfEmpty(ulong.MaxValue).First();
        var inImage = all
            .Where(s => s.Address >= low && s.Address < high && (s.Type == ElfSymbols.SttFunc || s.Type == ElfSymbols.SttObject || s.Type == ElfSymbols.SttNoType))
            .Where(s => !s.Name.StartsWith(".L") && !s.Name.StartsWith("$"))
            .ToList();
        var chosen = inImage
            .GroupBy(s => s.Address)
            .Select(g => g.OrderByDescending(s => s.Type == ElfSymbols.SttFunc).ThenByDescending(s => s.Size).ThenBy(s => s.Name, StringComparer.Ordinal).First())
            .OrderBy(s => s.Address)
            .ToList();
        // A name defined at two addresses is ambiguous: it is not exported
        // (a patch naming it fails to link, by name) rather than guessed.
        var exports = inImage
            .Where(s => s.IsLinkable && !IsModulePrivate(s.Name))
            .GroupBy(s => s.Name)
            .Where(g => g.Select(s => s.Address).Distinct().Count() == 1)
            .Select(g => g.First())
            .OrderBy(s => Encoding.UTF8.GetBytes(s.Name), ByteOrder.Instance)
            .ToList();

        var names = new MemoryStream();
        var nameOffsets = new Dictionary<string, uint>(StringComparer.Ordinal);
        uint NameOffset(string name)
        {
            if (nameOffsets.TryGetValue(name, out uint at)) return at;
            at = (uint)names.Length;
            names.Write(Encoding.UTF8.GetBytes(name));
            names.WriteByte(0);
            nameOffsets[name] = at;
            return at;
        }
        var entryNames = chosen.Select(s => NameOffset(s.Name)).ToArray();
        var exportNames = exports.Select(s => NameOffset(s.Name)).ToArray();

        int exportsOffset = HeaderSize + EntrySize * chosen.Count;
        int namesOffset = exportsOffset + ExportSize * exports.Count;
        var output = new byte[namesOffset + names.Length];
        var span = output.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)chosen.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)namesOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)names.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)exports.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)exportsOffset);
        buildId.CopyTo(span[24..]);
        for (int i = 0; i < chosen.Count; i++)
        {
            var e = span[(HeaderSize + i * EntrySize)..];
            BinaryPrimitives.WriteUInt64LittleEndian(e, chosen[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], entryNames[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)Math.Min(chosen[i].Size, uint.MaxValue));
        }
        for (int i = 0; i < exports.Count; i++)
        {
            var e = span[(exportsOffset + i * ExportSize)..];
            BinaryPrimitives.WriteUInt64LittleEndian(e, exports[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], exportNames[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)Encoding.UTF8.GetByteCount(exports[i].Name));
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
        return NameAt(table, (int)(namesOffset + BinaryPrimitives.ReadUInt32LittleEndian(e[8..])));
    }

    /// <summary>Finds an exported symbol's address by exact name, by binary search as the kernel does; null if absent.</summary>
    public static ulong? LookupExport(byte[] table, string name)
    {
        byte[] key = Encoding.UTF8.GetBytes(name);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(16));
        int exportsOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(20));
        int namesOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(8));
        int lo = 0, hi = (int)count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var e = table.AsSpan(exportsOffset + mid * ExportSize);
            var candidate = table.AsSpan(namesOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]), (int)BinaryPrimitives.ReadUInt32LittleEndian(e[12..]));
            int c = candidate.SequenceCompareTo(key);
            if (c == 0) return BinaryPrimitives.ReadUInt64LittleEndian(e);
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }

    /// <summary>The build id stored in a built table.</summary>
    public static byte[] BuildId(byte[] table) => table.AsSpan(24, BuildIdSize).ToArray();

    /// <summary>
    /// Names a patch keeps as its own and never resolves against the kernel
    /// (exception-handling data): left out of the exports to save space.
    /// </summary>
    public static bool IsModulePrivate(string name) => name.StartsWith("_lsda", StringComparison.Ordinal) || name.StartsWith("__ehinfo", StringComparison.Ordinal);

    private static string NameAt(byte[] table, int at)
    {
        int end = at;
        while (table[end] != 0) end++;
        return Encoding.UTF8.GetString(table, at, end - at);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
