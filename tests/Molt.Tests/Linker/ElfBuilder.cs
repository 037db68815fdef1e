using System.Text;
using Molt.Update.Linker;

namespace Molt.Tests.Linker;

/// <summary>
/// Writes small ELF64 relocatable objects for the linker tests: sections,
/// symbols, RELA entries and COMDAT groups, laid out like ilc's (data, then
/// relocation and group sections, then the tables, then section headers).
/// </summary>
public sealed class ElfBuilder
{
    private sealed class Section
    {
        public string Name = "";
        public uint Type;
        public ulong Flags, Align = 1, Size, EntrySize;
        public uint Link, Info;
        public byte[] Data = [];
    }

    private readonly record struct Sym(string Name, int Section, ulong Value, byte Bind, byte Type, ulong Size);
    private readonly record struct Rela(int Section, ulong Offset, int Symbol, uint Type, long Addend);

    private readonly PatchArch _arch;
    private readonly List<Section> _sections = [new Section()];
    private readonly List<Sym> _symbols = [new Sym("", 0, 0, 0, 0, 0)];
    private readonly List<Rela> _relas = [];
    private readonly List<(int Signature, int[] Members, uint Flags)> _groups = [];

    public ElfBuilder(PatchArch arch) { _arch = arch; }

    public int AddSection(string name, uint type, ulong flags, byte[] data, ulong align = 8, ulong nobitsSize = 0)
    {
        _sections.Add(new Section { Name = name, Type = type, Flags = flags, Data = type == Elf.ShtNobits ? [] : data, Size = type == Elf.ShtNobits ? nobitsSize : (ulong)data.Length, Align = align });
        return _sections.Count - 1;
    }

    public int Text(string name, byte[] code, ulong align = 16) => AddSection(name, Elf.ShtProgbits, Elf.ShfAlloc | Elf.ShfExecInstr, code, align);
    public int Data(string name, byte[] data, ulong align = 8) => AddSection(name, Elf.ShtProgbits, Elf.ShfAlloc | Elf.ShfWrite, data, align);
    public int Rodata(string name, byte[] data, ulong align = 8) => AddSection(name, Elf.ShtProgbits, Elf.ShfAlloc, data, align);
    public int Bss(string name, ulong size, ulong align = 8) => AddSection(name, Elf.ShtNobits, Elf.ShfAlloc | Elf.ShfWrite, [], align, size);

    public int AddSymbol(string name, int section, ulong value = 0, byte bind = Elf.StbGlobal, byte type = Elf.SttNotype, ulong size = 0)
    {
        _symbols.Add(new Sym(name, section, value, bind, type, size));
        return _symbols.Count - 1;
    }

    public int Undefined(string name) => AddSymbol(name, 0);

    public void AddRela(int section, ulong offset, int symbol, uint type, long addend = 0) => _relas.Add(new Rela(section, offset, symbol, type, addend));

    public void AddGroup(int signature, params int[] members) => _groups.Add((signature, members, Elf.GroupComdat));

    /// <summary>A minimal ilc-like module: <c>__modules</c> pointing at <c>&lt;prefix&gt;__ReadyToRunHeader</c> in .data (an RTR\0 header with no rows).</summary>
    public int AddModule(string prefix)
    {
        byte[] header = new byte[16];
        header[0] = (byte)'R'; header[1] = (byte)'T'; header[2] = (byte)'R';
        header[4] = 16; // major version
        header[14] = 24; // entry size
        int hdr = Data(".data", header);
        int sym = AddSymbol(prefix + "__ReadyToRunHeader", hdr);
        int modules = Data("__modules", new byte[8]);
        AddRela(modules, 0, sym, _arch == PatchArch.X64 ? Elf.R_X86_64_64 : Elf.R_AARCH64_ABS64);
        return hdr;
    }

    public byte[] Build()
    {
        var all = new List<Section>(_sections);
        // Relocation sections, one per relocated section.
        foreach (var target in _relas.Select(r => r.Section).Distinct().ToList())
        {
            var bytes = new List<byte>();
            foreach (var r in _relas.Where(r => r.Section == target))
            {
                bytes.AddRange(BitConverter.GetBytes(r.Offset));
                bytes.AddRange(BitConverter.GetBytes(((ulong)(uint)r.Symbol << 32) | r.Type));
                bytes.AddRange(BitConverter.GetBytes(r.Addend));
            }
            all.Add(new Section { Name = ".rela" + _sections[target].Name, Type = Elf.ShtRela, Data = bytes.ToArray(), Size = (ulong)bytes.Count, Align = 8, EntrySize = 24, Info = (uint)target });
        }
        foreach (var g in _groups)
        {
            var bytes = new List<byte>(BitConverter.GetBytes(g.Flags));
            foreach (int m in g.Members) bytes.AddRange(BitConverter.GetBytes((uint)m));
            all.Add(new Section { Name = ".group", Type = Elf.ShtGroup, Data = bytes.ToArray(), Size = (ulong)bytes.Count, Align = 4, EntrySize = 4, Info = (uint)g.Signature });
        }
        int symtab = all.Count, strtab = symtab + 1, shstrtab = symtab + 2;
        var strings = new MemoryStream();
        strings.WriteByte(0);
        var symBytes = new List<byte>();
        foreach (var s in _symbols)
        {
            uint nameOff = 0;
            if (s.Name.Length > 0) { nameOff = (uint)strings.Length; strings.Write(Encoding.ASCII.GetBytes(s.Name)); strings.WriteByte(0); }
            symBytes.AddRange(BitConverter.GetBytes(nameOff));
            symBytes.Add((byte)(s.Bind << 4 | s.Type));
            symBytes.Add(0);
            symBytes.AddRange(BitConverter.GetBytes((ushort)s.Section));
            symBytes.AddRange(BitConverter.GetBytes(s.Value));
            symBytes.AddRange(BitConverter.GetBytes(s.Size));
        }
        all.Add(new Section { Name = ".symtab", Type = Elf.ShtSymtab, Data = symBytes.ToArray(), Size = (ulong)symBytes.Count, Align = 8, EntrySize = 24, Link = (uint)strtab, Info = 1 });
        all.Add(new Section { Name = ".strtab", Type = Elf.ShtStrtab, Data = strings.ToArray(), Size = (ulong)strings.Length });
        all.Add(new Section { Name = ".shstrtab", Type = Elf.ShtStrtab });
        foreach (var s in all) if (s.Type == Elf.ShtRela || s.Type == Elf.ShtGroup) s.Link = (uint)symtab;
        var names = new MemoryStream();
        names.WriteByte(0);
        var nameOffsets = new uint[all.Count];
        for (int i = 1; i < all.Count; i++) { nameOffsets[i] = (uint)names.Length; names.Write(Encoding.ASCII.GetBytes(all[i].Name)); names.WriteByte(0); }
        all[shstrtab].Data = names.ToArray();
        all[shstrtab].Size = (ulong)names.Length;

        var file = new MemoryStream();
        file.Write(new byte[64]);
        var offsets = new ulong[all.Count];
        for (int i = 1; i < all.Count; i++)
        {
            if (all[i].Type == Elf.ShtNobits) { offsets[i] = (ulong)file.Length; continue; }
            while (file.Length % 8 != 0) file.WriteByte(0);
            offsets[i] = (ulong)file.Length;
            file.Write(all[i].Data);
        }
        while (file.Length % 8 != 0) file.WriteByte(0);
        ulong shoff = (ulong)file.Length;
        for (int i = 0; i < all.Count; i++)
        {
            var s = all[i];
            var w = new BinaryWriter(file);
            w.Write(nameOffsets[i]); w.Write(s.Type); w.Write(s.Flags); w.Write(0UL); w.Write(offsets[i]);
            w.Write(s.Size); w.Write(s.Link); w.Write(s.Info); w.Write(s.Align); w.Write(s.EntrySize);
        }
        byte[] elf = file.ToArray();
        elf[0] = 0x7F; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F';
        elf[4] = 2; elf[5] = 1; elf[6] = 1;
        BitConverter.GetBytes((ushort)1).CopyTo(elf, 16);
        BitConverter.GetBytes((ushort)_arch).CopyTo(elf, 18);
        BitConverter.GetBytes(1u).CopyTo(elf, 20);
        BitConverter.GetBytes(shoff).CopyTo(elf, 40);
        BitConverter.GetBytes((ushort)64).CopyTo(elf, 52);
        BitConverter.GetBytes((ushort)64).CopyTo(elf, 58);
        BitConverter.GetBytes((ushort)all.Count).CopyTo(elf, 60);
        BitConverter.GetBytes((ushort)shstrtab).CopyTo(elf, 62);
        return elf;
    }
}

/// <summary>A resolver over a name table (the "kernel" of the host tests).</summary>
public struct TableResolver : ISymbolResolver
{
    public Dictionary<string, ulong> Table;
    public Func<string, ulong?>? Fallback;
    public int Lookups;

    public TableResolver(Dictionary<string, ulong> table, Func<string, ulong?>? fallback = null) { Table = table; Fallback = fallback; Lookups = 0; }

    public bool TryResolve(ReadOnlySpan<byte> name, out ulong address)
    {
        Lookups++;
        string s = Encoding.ASCII.GetString(name);
        if (Table.TryGetValue(s, out address)) return true;
        ulong? f = Fallback?.Invoke(s);
        address = f ?? 0;
        return f.HasValue;
    }
}

/// <summary>Runs the pure linker on the host into buffers.</summary>
public static class HostLink
{
    public const ulong TextBase = 0xFFFFFFFFA0000000, RodataBase = 0xFFFFFFFFA0100000, DataBase = 0xFFFFFFFFA0200000;

    public sealed class Result
    {
        public bool Ok;
        public LinkErrorCode Code;
        public string Message = "";
        public LinkLayout Layout;
        public byte[] Text = [], Rodata = [], Data = [];
        public SectionPlan[] Sections = [];
        public SymbolSlot[] Symbols = [];
    }

    public static string Text(ref LinkError err)
    {
        var b = new byte[err.Length];
        err.CopyTo(b);
        return Encoding.ASCII.GetString(b);
    }

    public static Result Run(byte[] elf, PatchArch arch, TableResolver resolver, int regionBytes = 1 << 20, ulong textBase = TextBase)
    {
        var r = new Result { Text = new byte[regionBytes], Rodata = new byte[regionBytes], Data = new byte[regionBytes] };
        r.Sections = new SectionPlan[elf.Length / 64 + 1];
        r.Symbols = new SymbolSlot[elf.Length / 24 + 1];
        var scratch = new int[elf.Length / 64 + 1];
        var target = new LinkTarget { Text = r.Text, Rodata = r.Rodata, Data = r.Data, TextBase = textBase, RodataBase = RodataBase, DataBase = DataBase };
        var err = new LinkError();
        r.Ok = PatchLinker.Link(elf, arch, ref resolver, r.Sections, r.Symbols, scratch, ref target, out r.Layout, ref err);
        r.Code = err.Code;
        r.Message = Text(ref err);
        return r;
    }
}
