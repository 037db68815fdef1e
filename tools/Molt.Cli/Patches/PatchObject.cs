using LibObjectFile.Diagnostics;
using LibObjectFile.Elf;

namespace Molt.Cli.Patches;

/// <summary>
/// A patch's relocatable ELF object as ilc --multifile writes it, read
/// with LibObjectFile: its symbols, and the MethodTables of its classes
/// (toolchain-facts.md: every symbol in its own COMDAT section, relocations
/// always naming symbols, MethodTables named _ZTV&lt;length&gt;&lt;name&gt;).
/// </summary>
public sealed class PatchObject
{
    private readonly ElfFile _elf;
    private readonly ElfSymbolTable _symtab;
    private readonly Dictionary<string, ElfSymbol> _defined = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Defined { get; }
    public IReadOnlyList<string> Undefined { get; }

    private PatchObject(ElfFile elf)
    {
        _elf = elf;
        _symtab = elf.Sections.OfType<ElfSymbolTable>().FirstOrDefault()
            ?? throw new CliError("the patch object has no symbol table");
        var undefined = new SortedSet<string>(StringComparer.Ordinal);
        foreach (ElfSymbol s in _symtab.Entries)
        {
            string name = s.Name.Value ?? "";
            if (name.Length == 0 || s.Type is ElfSymbolType.Section or ElfSymbolType.File) continue;
            // Section index 0 (SHN_UNDEF): the kernel must supply it.
            if (s.SectionLink.Section == null && s.SectionLink.SpecialIndex == 0) undefined.Add(name);
            else if (s.Bind != ElfSymbolBind.Local) _defined.TryAdd(name, s);
        }
        Defined = _defined.Keys.Order(StringComparer.Ordinal).ToList();
        Undefined = undefined.ToList();
    }

    public static PatchObject Read(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        if (!ElfFile.TryRead(stream, out ElfFile? elf, out DiagnosticBag? diagnostics) || elf == null)
            throw new CliError("the patch object is not a readable ELF file: " + string.Join("; ", (diagnostics?.Messages ?? []).Take(3).Select(m => m.ToString())));
        return new PatchObject(elf);
    }

    public bool IsDefined(string symbol) => _defined.ContainsKey(symbol);

    /// <summary>The defined symbol of a MethodTable whose mangled name (without "_ZTV&lt;n&gt;") is <paramref name="stem"/>.</summary>
    public string? MethodTableSymbol(string stem)
    {
        string name = "_ZTV" + stem.Length + stem;
        return _defined.ContainsKey(name) ? name : null;
    }

    /// <summary>What a MethodTable says about interfaces: its interface list and, per list index, its dispatch-map entries.</summary>
    public sealed record InterfaceFacts(IReadOnlyList<string> Interfaces, IReadOnlyList<int> DispatchEntries, bool HasDispatchMap);

    private const uint HasDispatchMapFlag = 0x00040000;

    /// <summary>
    /// The interfaces in a MethodTable's interface list, as the symbols its
    /// relocations name, and how many dispatch-map entries each has. Layout
    /// (ilc 10.0.12, kernel/runtime/Internal/MethodTable.cs): u32 flags,
    /// u32 base size, pointer related type, u16 vtable slots, u16 interfaces,
    /// u32 hash; then the vtable, the interface pointers, and rel32 pointers
    /// to the type manager, the writable data and (flag 0x00040000) the
    /// dispatch map: u16 standard, default, standard-static and default-static
    /// counts, then 6-byte entries {u16 interface index, u16 slot, u16 implementation}.
    /// </summary>
    public InterfaceFacts InterfacesOf(string methodTableSymbol)
    {
        ElfSymbol mt = _defined[methodTableSymbol];
        ElfStreamSection section = ContentsOf(mt, methodTableSymbol);
        byte[] header = Read(section, mt.Value, 24);
        uint flags = BitConverter.ToUInt32(header, 0);
        int slots = BitConverter.ToUInt16(header, 16);
        int interfaces = BitConverter.ToUInt16(header, 18);
        ulong listAt = mt.Value + 24 + 8UL * (ulong)slots;
        Dictionary<ulong, string> relocations = RelocationsOf(section);
        var names = new List<string>();
        for (int i = 0; i < interfaces; i++)
            names.Add(relocations.TryGetValue(listAt + 8UL * (ulong)i, out string? s) ? s : "(no relocation)");

        var entries = new int[interfaces];
        bool hasMap = (flags & HasDispatchMapFlag) != 0;
        if (hasMap && relocations.TryGetValue(listAt + 8UL * (ulong)interfaces + 8, out string? mapName) && _defined.TryGetValue(mapName, out ElfSymbol map))
        {
            ElfStreamSection mapSection = ContentsOf(map, mapName);
            byte[] counts = Read(mapSection, map.Value, 8);
            int instanceEntries = BitConverter.ToUInt16(counts, 0) + BitConverter.ToUInt16(counts, 2);
            byte[] table = Read(mapSection, map.Value + 8, 6 * instanceEntries);
            for (int e = 0; e < instanceEntries; e++)
            {
                int index = BitConverter.ToUInt16(table, 6 * e);
                if (index < interfaces) entries[index]++;
            }
        }
        return new InterfaceFacts(names, entries, hasMap);
    }

    private static ElfStreamSection ContentsOf(ElfSymbol symbol, string name) =>
        symbol.SectionLink.Section as ElfStreamSection ?? throw new CliError($"{name} is not in a section with contents");

    private static byte[] Read(ElfStreamSection section, ulong at, int length)
    {
        if (at + (ulong)length > (ulong)section.Stream.Length)
            throw new CliError($"the patch object is malformed: {length} bytes at {at} run past section {section.Name.Value}");
        var bytes = new byte[length];
        section.Stream.Position = (long)at;
        section.Stream.ReadExactly(bytes);
        return bytes;
    }

    private Dictionary<ulong, string> RelocationsOf(ElfSection section)
    {
        var byOffset = new Dictionary<ulong, string>();
        foreach (ElfRelocationTable rt in _elf.Sections.OfType<ElfRelocationTable>())
        {
            if (rt.Info.Section != section) continue;
            foreach (ElfRelocation r in rt.Entries)
                byOffset[r.Offset] = _symtab.Entries[(int)r.SymbolIndex].Name.Value ?? "";
        }
        return byOffset;
    }

    /// <summary>Strips ilc's "_ZTV&lt;length&gt;" prefix from a MethodTable symbol.</summary>
    public static string Unmangle(string symbol)
    {
        if (!symbol.StartsWith("_ZTV", StringComparison.Ordinal)) return symbol;
        int i = 4;
        while (i < symbol.Length && char.IsAsciiDigit(symbol[i])) i++;
        return symbol[i..];
    }
}
