using System.Buffers.Binary;
using Molt.Image;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SymbolTable;

/// <summary>KernelSymbolTable.Build and Lookup: the table the kernel's backtraces read.</summary>
public class KernelSymbolTableTests
{
    private const ulong Low = 0xffff800000000000;

    private static readonly ElfSymbol[] Symbols =
    [
        new("c_func", 0xffffffff80200300, 0x20, ElfSymbols.SttFunc),
        new("a_func", 0xffffffff80200100, 0x80, ElfSymbols.SttFunc),
        new("b_zero_size", 0xffffffff80200200, 0, ElfSymbols.SttNoType),
        new("alias_notype", 0xffffffff80200100, 0, ElfSymbols.SttNoType), // same address as a_func: a_func wins
        new(".Llocal", 0xffffffff80200180, 0, ElfSymbols.SttNoType),
        new("$x", 0xffffffff80200190, 0, ElfSymbols.SttNoType),
        new("low_user", 0x400000, 0x10, ElfSymbols.SttFunc),
        new("a_file", 0xffffffff80200050, 0, 4 /* STT_FILE */),
        new("__ksyms_start", 0xffffffff80400000, 0, ElfSymbols.SttNoType),
        new("__image_end", 0xffffffff80400800, 0, ElfSymbols.SttNoType),
    ];

    private static (ulong Address, string Name, uint Size)[] Entries(byte[] table)
    {
        Assert.Equal(KernelSymbolTable.Magic, BinaryPrimitives.ReadUInt32LittleEndian(table));
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4));
        int names = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(8));
        int exports = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(16));
        int exportsOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(20));
        Assert.Equal(KernelSymbolTable.HeaderSize + KernelSymbolTable.EntrySize * count, exportsOffset);
        Assert.Equal(exportsOffset + KernelSymbolTable.ExportSize * exports, names);
        Assert.Equal(table.Length - names, (int)BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(12)));
        var list = new (ulong, string, uint)[count];
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(KernelSymbolTable.HeaderSize + i * KernelSymbolTable.EntrySize);
            int n = names + (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
            int end = Array.IndexOf(table, (byte)0, n);
            list[i] = (BinaryPrimitives.ReadUInt64LittleEndian(e), System.Text.Encoding.UTF8.GetString(table, n, end - n),
                       BinaryPrimitives.ReadUInt32LittleEndian(e[12..]));
        }
        return list;
    }

    [Fact]
    public void Keeps_kernel_symbols_below_ksyms_sorted_by_address_one_per_address()
    {
        var entries = Entries(KernelSymbolTable.Build(Symbols, Low));
        Assert.Equal(["a_func", "b_zero_size", "c_func"], entries.Select(e => e.Name));
        Assert.Equal(entries.Select(e => e.Address).Order(), entries.Select(e => e.Address));
        Assert.Equal(0x80u, entries[0].Size);
    }

    [Fact]
    public void Is_deterministic_whatever_the_input_order()
    {
        byte[] first = KernelSymbolTable.Build(Symbols, Low);
        var rng = new Random(1);
        for (int i = 0; i < 20; i++)
            Assert.Equal(first, KernelSymbolTable.Build(Symbols.OrderBy(_ => rng.Next()).ToArray(), Low));
    }

    [Fact]
    public void Picks_by_type_then_size_then_name_at_a_shared_address()
    {
        ElfSymbol[] same =
        [
            new("zz", 0xffffffff80200000, 8, ElfSymbols.SttObject),
            new("bb", 0xffffffff80200000, 4, ElfSymbols.SttFunc),
            new("aa", 0xffffffff80200000, 4, ElfSymbols.SttFunc),
        ];
        Assert.Equal("aa", Entries(KernelSymbolTable.Build(same, Low)).Single().Name);
    }

    [Theory]
    [InlineData(0xffffffff80200100UL, "a_func")]
    [InlineData(0xffffffff8020017fUL, "a_func")]
    [InlineData(0xffffffff80200180UL, null)]          // past a_func's size and before b_zero_size
    [InlineData(0xffffffff80200250UL, "b_zero_size")] // no size: reaches the next symbol
    [InlineData(0xffffffff8020031fUL, "c_func")]
    [InlineData(0xffffffff80200320UL, null)]
    [InlineData(0xffffffff802000ffUL, null)]          // below the first symbol
    [InlineData(0UL, null)]
    public void Lookup_finds_the_containing_symbol(ulong address, string? expected)
    {
        Assert.Equal(expected, KernelSymbolTable.Lookup(KernelSymbolTable.Build(Symbols, Low), address));
    }

    [Fact]
    public void Empty_input_gives_an_empty_table()
    {
        var table = KernelSymbolTable.Build([], Low);
        Assert.Empty(Entries(table));
        Assert.Null(KernelSymbolTable.Lookup(table, 0xffffffff80200000));
    }

    [Fact]
    public void Round_trips_through_an_elf_file()
    {
        var symbols = ElfSymbols.Read(TinyElf.Build(Symbols), "tiny.elf");
        Assert.Equal(KernelSymbolTable.Build(Symbols, Low), KernelSymbolTable.Build(symbols, Low));
    }

    [BuiltKernelFact]
    public void The_built_kernel_table_matches_the_one_it_embeds_and_resolves_its_functions()
    {
        string elfPath = Repo.KernelElf(QemuArch.X64);
        string embedded = Path.Combine(Path.GetDirectoryName(elfPath)!, "ksyms.bin");
        var symbols = ElfSymbols.Read(File.ReadAllBytes(elfPath), elfPath);
        byte[] buildId = Convert.FromHexString(File.ReadAllText(Path.Combine(Path.GetDirectoryName(elfPath)!, "build-id")).Trim());
        var table = KernelSymbolTable.Build(symbols, Low, buildId);
        Assert.Equal(File.ReadAllBytes(embedded), table);
        Assert.Equal(buildId, KernelSymbolTable.BuildId(table));
        var pass1 = Path.Combine(Path.GetDirectoryName(elfPath)!, "molt.pass1.elf");
        Assert.Equal(buildId, System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(pass1)));
        Assert.Equal(table, KernelSymbolTable.Build(symbols, Low, buildId));
        Assert.Equal(KernelStart(symbols).Address, KernelSymbolTable.LookupExport(table, "molt_Molt_Kernel__Start"));
        var entries = Entries(table);
        Assert.Equal(entries.Select(e => e.Address).Order(), entries.Select(e => e.Address));
        var start = symbols.Single(s => s.Name == "molt_Molt_Kernel__Start");
        Assert.Equal("molt_Molt_Kernel__Start", KernelSymbolTable.Lookup(table, start.Address + start.Size / 2));
    }

    private static ElfSymbol KernelStart(List<ElfSymbol> symbols) => symbols.Single(s => s.Name == "molt_Molt_Kernel__Start");

    [Fact]
    public void Exports_every_linkable_name_aliases_included_and_refuses_the_rest()
    {
        ElfSymbol[] symbols =
        [
            new("molt_entry", 0xffffffff80200100, 0x40, ElfSymbols.SttFunc),                                             // global alias
            new("managed_name", 0xffffffff80200100, 0x40, ElfSymbols.SttFunc, ElfSymbols.StbLocal, ElfSymbols.StvHidden), // hidden, localized by lld
            new("asm_local", 0xffffffff80200200, 0, ElfSymbols.SttNoType, ElfSymbols.StbLocal),                          // a true local
            new("weak_one", 0xffffffff80200300, 8, ElfSymbols.SttObject, ElfSymbols.StbWeak),
            new("_lsda0managed_name", 0xffffffff80200400, 8, ElfSymbols.SttObject, ElfSymbols.StbLocal, ElfSymbols.StvHidden),
            new("twice", 0xffffffff80200500, 8, ElfSymbols.SttObject, ElfSymbols.StbLocal, ElfSymbols.StvHidden),
            new("twice", 0xffffffff80200600, 8, ElfSymbols.SttObject, ElfSymbols.StbLocal, ElfSymbols.StvHidden),
            new("__ksyms_start", 0xffffffff80400000, 0, ElfSymbols.SttNoType),
        ];
        var table = KernelSymbolTable.Build(symbols, Low);
        Assert.Equal(0xffffffff80200100ul, KernelSymbolTable.LookupExport(table, "molt_entry"));
        Assert.Equal(0xffffffff80200100ul, KernelSymbolTable.LookupExport(table, "managed_name"));
        Assert.Equal(0xffffffff80200300ul, KernelSymbolTable.LookupExport(table, "weak_one"));
        Assert.Null(KernelSymbolTable.LookupExport(table, "asm_local"));
        Assert.Null(KernelSymbolTable.LookupExport(table, "_lsda0managed_name"));
        Assert.Null(KernelSymbolTable.LookupExport(table, "twice"));
        Assert.Null(KernelSymbolTable.LookupExport(table, "molt_entr"));
        Assert.Null(KernelSymbolTable.LookupExport(table, "__ksyms_start"));
    }

    [Fact]
    public void Finds_each_of_thousands_of_exports_by_binary_search()
    {
        var symbols = Enumerable.Range(0, 3000)
            .Select(i => new ElfSymbol($"s{i * 7919 % 3001}_{i}", 0xffffffff80200000 + (ulong)i * 16, 16, ElfSymbols.SttFunc))
            .ToArray();
        var table = KernelSymbolTable.Build(symbols, Low);
        foreach (var s in symbols) Assert.Equal(s.Address, KernelSymbolTable.LookupExport(table, s.Name));
    }

    [Fact]
    public void Stores_the_build_id_and_refuses_a_wrong_length()
    {
        byte[] id = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(id, KernelSymbolTable.BuildId(KernelSymbolTable.Build(Symbols, Low, id)));
        Assert.Equal(new byte[32], KernelSymbolTable.BuildId(KernelSymbolTable.Build(Symbols, Low)));
        Assert.Throws<ArgumentException>(() => KernelSymbolTable.Build(Symbols, Low, new byte[31]));
    }
}
