using System.Diagnostics;
using Molt.Update.Linker;
using Xunit;
using Xunit.Abstractions;

namespace Molt.Tests.Linker;

/// <summary>
/// Feeds 100,000 mutated objects (fixed seed) to parse + plan + resolve +
/// copy + relocate into buffers: bit flips, truncations, and boundary values
/// written into the ELF header, section headers, symbols, relocation entries
/// and group words. Every object must be accepted or refused with a code
/// and a message; none may crash or hang.
/// </summary>
public class LinkerFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 100_000;

    private sealed class Seed
    {
        public byte[] Elf = [];
        public PatchArch Arch;
        public int Shoff, SectionCount, SymOffset, SymCount;
        public List<int> RelaEntries = [], GroupWords = [];
    }

    private static Seed Describe(byte[] elf, PatchArch arch)
    {
        var err = new LinkError();
        Assert.True(ElfObject.Parse(elf, arch, out var obj, ref err), HostLink.Text(ref err));
        var s = new Seed { Elf = elf, Arch = arch, Shoff = (int)BitConverter.ToUInt64(elf, 40), SectionCount = obj.SectionCount };
        var symtab = obj.Section(obj.SymbolTableIndex);
        s.SymOffset = (int)symtab.Offset;
        s.SymCount = obj.SymbolCount;
        for (int i = 1; i < obj.SectionCount; i++)
        {
            var sec = obj.Section(i);
            if (sec.Type == Elf.ShtRela) for (int e = 0; e < (int)(sec.Size / 24); e++) s.RelaEntries.Add((int)sec.Offset + e * 24);
            if (sec.Type == Elf.ShtGroup) for (int w = 0; w < (int)(sec.Size / 4); w++) s.GroupWords.Add((int)sec.Offset + w * 4);
        }
        return s;
    }

    private static List<Seed> Seeds()
    {
        var seeds = new List<Seed>();
        foreach (var arch in new[] { PatchArch.X64, PatchArch.Arm64 })
        {
            var b = new ElfBuilder(arch);
            b.AddModule("fz");
            int code = b.Text("__managedcode", new byte[64]);
            int data = b.Data(".data", new byte[48]);
            int shared = b.Data(".data", new byte[24]);
            int bss = b.Bss(".bss", 32);
            int f = b.AddSymbol("fz_T__M", code, 0, type: Elf.SttFunc, size: 64);
            int mt = b.AddSymbol("_ZTV4fz_T", data, 0, size: 48);
            int sh = b.AddSymbol("_ZTV13__Array<Int32>", shared, 0, size: 24);
            b.AddSymbol("__GCSTATICSfz_T", bss, 0, size: 8);
            int k = b.Undefined("RhpNewFast");
            int o = b.Undefined("_ZTV6Object");
            b.AddGroup(mt, data);
            b.AddGroup(sh, shared);
            if (arch == PatchArch.X64)
            {
                b.AddRela(code, 1, k, Elf.R_X86_64_PLT32, -4);
                b.AddRela(code, 8, sh, Elf.R_X86_64_PC32, -4);
                b.AddRela(code, 16, mt, Elf.R_X86_64_64);
                b.AddRela(data, 8, o, Elf.R_X86_64_64);
                b.AddRela(data, 16, f, Elf.R_X86_64_64);
            }
            else
            {
                b.AddRela(code, 0, k, Elf.R_AARCH64_CALL26);
                b.AddRela(code, 4, sh, Elf.R_AARCH64_ADR_PREL_PG_HI21);
                b.AddRela(code, 8, sh, Elf.R_AARCH64_LDST64_ABS_LO12_NC);
                b.AddRela(code, 12, mt, Elf.R_AARCH64_PREL32);
                b.AddRela(data, 8, o, Elf.R_AARCH64_ABS64);
                b.AddRela(data, 16, f, Elf.R_AARCH64_ABS64);
            }
            seeds.Add(Describe(b.Build(), arch));
            string path = RealObjects.ObjectPath(arch == PatchArch.X64 ? "x64" : "arm64");
            if (File.Exists(path)) seeds.Add(Describe(File.ReadAllBytes(path), arch));
        }
        return seeds;
    }

    private static readonly ulong[] Interesting = [0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 63, 64, 0x7F, 0xFF, 0x100, 0xFFF, 0x1000, 0x7FFF, 0xFFFF, 0xFF00, 0xFFF1, 0xFFF2,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, ulong.MaxValue - 7];

    [Fact]
    public void Hundred_thousand_mutated_objects_are_accepted_or_refused_with_a_reason()
    {
        var seeds = Seeds();
        var rng = new Random(20261202);
        var kernel = new TableResolver(new Dictionary<string, ulong>
        {
            ["RhpNewFast"] = 0xFFFFFFFF80201000, ["_ZTV6Object"] = 0xFFFFFFFF80300000, ["_ZTV13__Array<Int32>"] = 0xFFFFFFFF80310000,
            ["Object__ToString"] = 0xFFFFFFFF80202000, ["Object__Equals"] = 0xFFFFFFFF80202100, ["Object__GetHashCode"] = 0xFFFFFFFF80202200,
            ["_ZTV6String"] = 0xFFFFFFFF80320000, ["RhpReversePInvoke"] = 0xFFFFFFFF80203000, ["RhpReversePInvokeReturn"] = 0xFFFFFFFF80203100,
        }, name => name.StartsWith("_ZTV", StringComparison.Ordinal) && name.Contains("molt_") ? 0xFFFFFFFF80330000 : null);
        int max = seeds.Max(s => s.Elf.Length) + 1;
        var sections = new SectionPlan[max / 64 + 1];
        var symbols = new SymbolSlot[max / 24 + 1];
        var scratch = new int[max / 64 + 1];
        byte[] text = new byte[64 * 1024], rodata = new byte[64 * 1024], data = new byte[64 * 1024];
        var byCode = new Dictionary<LinkErrorCode, int>();
        var sw = Stopwatch.StartNew();
        for (int iter = 0; iter < Iterations; iter++)
        {
            Seed seed = seeds[iter % seeds.Count];
            byte[] elf = Mutate(seed, rng);
            var err = new LinkError();
            var target = new LinkTarget { Text = text, Rodata = rodata, Data = data, TextBase = HostLink.TextBase, RodataBase = HostLink.RodataBase, DataBase = HostLink.DataBase };
            bool ok = PatchLinker.Link(elf, seed.Arch, ref kernel, sections, symbols, scratch, ref target, out _, ref err);
            if (!ok)
            {
                Assert.True(err.Code != LinkErrorCode.None, $"iteration {iter}: refused without a code");
                Assert.True(err.Length > 0, $"iteration {iter}: refused without a message");
            }
            else Assert.Equal(LinkErrorCode.None, err.Code);
            byCode[err.Code] = byCode.GetValueOrDefault(err.Code) + 1;
        }
        sw.Stop();
        output.WriteLine($"{Iterations} objects from {seeds.Count} seeds in {sw.ElapsedMilliseconds} ms: " + string.Join(", ", byCode.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        Assert.True(byCode.GetValueOrDefault(LinkErrorCode.None) > 0, "some mutations keep the object valid");
        Assert.True(byCode.Count >= 8, "mutations reach many different checks");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "bounded time");
    }

    private static byte[] Mutate(Seed s, Random rng)
    {
        byte[] e = (byte[])s.Elf.Clone();
        int kind = rng.Next(8);
        switch (kind)
        {
            case 0: // bit flips anywhere
                if (e.Length == 0) return e;
                for (int n = rng.Next(1, 5); n > 0; n--) { int at = rng.Next(e.Length); e[at] ^= (byte)(1 << rng.Next(8)); }
                return e;
            case 1: // truncation
                return e[..rng.Next(e.Length)];
            case 2: // an ELF header field
                Write(e, rng, rng.Next(16, 64), rng);
                return e;
            case 3: // a section header field
            {
                int[] fields = [0, 4, 8, 24, 32, 40, 44, 48, 56];
                Write(e, rng, s.Shoff + rng.Next(s.SectionCount) * 64 + fields[rng.Next(fields.Length)], rng);
                return e;
            }
            case 4: // a symbol field
            {
                int[] fields = [0, 4, 6, 8, 16];
                Write(e, rng, s.SymOffset + rng.Next(s.SymCount) * 24 + fields[rng.Next(fields.Length)], rng);
                return e;
            }
            case 5: // a relocation entry field (offset, info: symbol or type, addend)
            {
                if (s.RelaEntries.Count == 0) goto case 0;
                int[] fields = [0, 8, 12, 16];
                Write(e, rng, s.RelaEntries[rng.Next(s.RelaEntries.Count)] + fields[rng.Next(fields.Length)], rng);
                return e;
            }
            case 6: // a group word
                if (s.GroupWords.Count == 0) goto case 0;
                Write(e, rng, s.GroupWords[rng.Next(s.GroupWords.Count)], rng, 4);
                return e;
            default: // several of the above
                for (int n = 0; n < 3; n++) { s = new Seed { Elf = e, Arch = s.Arch, Shoff = s.Shoff, SectionCount = s.SectionCount, SymOffset = s.SymOffset, SymCount = s.SymCount, RelaEntries = s.RelaEntries, GroupWords = s.GroupWords }; e = Mutate(s, rng); }
                return e;
        }
    }

    private static void Write(byte[] e, Random rng, int at, Random r, int width = 0)
    {
        if (width == 0) width = new[] { 1, 2, 4, 8 }[rng.Next(4)];
        ulong v = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : Interesting[rng.Next(Interesting.Length)];
        for (int i = 0; i < width && at + i < e.Length; i++) e[at + i] = (byte)(v >> (8 * i));
    }
}
