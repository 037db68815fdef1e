using System.Buffers.Binary;
using Molt.Image;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SymbolTable;

/// <summary>ElfSymbols.Read on well-formed files and on the specific bad inputs it must name.</summary>
public class ElfSymbolsTests
{
    private static readonly ElfSymbol[] Sample =
    [
        new("start", 0xffffffff80200000, 0x40, ElfSymbols.SttFunc),
        new("data_thing", 0xffffffff80300000, 8, ElfSymbols.SttObject),
        new("käse_ünïcode", 0xffffffff80200100, 0x10, ElfSymbols.SttFunc),
    ];

    [Fact]
    public void Reads_every_defined_symbol_with_its_fields()
    {
        var read = ElfSymbols.Read(TinyElf.Build(Sample), "tiny.elf");
        Assert.Equal(Sample, read);
    }

    [Fact]
    public void Leaves_out_undefined_symbols()
    {
        var read = ElfSymbols.Read(TinyElf.Build(Sample, shndx: 0), "tiny.elf");
        Assert.Empty(read);
    }

    [Fact]
    public void Rejects_a_file_that_is_not_elf_naming_the_file()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbols.Read("#!/bin/sh\n"u8.ToArray(), "script.sh"));
        Assert.Contains("script.sh", e.Message);
        Assert.Contains("offset 0x0", e.Message);
    }

    [Fact]
    public void Rejects_elf32_and_big_endian()
    {
        var elf = TinyElf.Build(Sample);
        elf[4] = 1;
        Assert.Contains("offset 0x4", Assert.Throws<InvalidDataException>(() => ElfSymbols.Read(elf, "a.elf")).Message);
        elf[4] = 2; elf[5] = 2;
        Assert.Contains("offset 0x4", Assert.Throws<InvalidDataException>(() => ElfSymbols.Read(elf, "a.elf")).Message);
    }

    [Fact]
    public void Rejects_a_section_table_past_the_end_naming_the_offset()
    {
        var elf = TinyElf.Build(Sample);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(0x28), (ulong)elf.Length);
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbols.Read(elf, "cut.elf"));
        Assert.Contains("cut.elf", e.Message);
        Assert.Contains("0x", e.Message);
    }

    [Fact]
    public void Rejects_a_symtab_whose_string_table_link_is_out_of_range()
    {
        var elf = TinyElf.Build(Sample);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(TinyElf.SectionHeader(elf, 2) + 0x28), 40);
        Assert.Throws<InvalidDataException>(() => ElfSymbols.Read(elf, "link.elf"));
    }

    [BuiltKernelFact]
    public void Reads_the_built_kernel()
    {
        string elf = Repo.KernelElf(QemuArch.X64);
        var symbols = ElfSymbols.Read(File.ReadAllBytes(elf), elf);
        Assert.True(symbols.Count > 100, $"only {symbols.Count} symbols");
        Assert.Contains(symbols, s => s.Name == "molt_Molt_Kernel__Start" && s.Type == ElfSymbols.SttFunc);
        Assert.Contains(symbols, s => s.Name == "__ksyms_start");
    }
}
