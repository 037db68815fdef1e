using System.Text;
using Molt.Tests.Support;
using Molt.Update.Linker;
using Xunit;
using Xunit.Abstractions;

namespace Molt.Tests.Linker;

/// <summary>Skips unless build/&lt;arch&gt;/test/patches/linkprobe.o and molt-test.elf are built (make patch-fixtures, make).</summary>
public sealed class PatchFixtureFactAttribute : FactAttribute
{
    public PatchFixtureFactAttribute(string arch)
    {
        if (!File.Exists(RealObjects.ObjectPath(arch))) Skip = $"build/{arch}/test/patches/linkprobe.o is not built (make ARCH={arch})";
        else if (!File.Exists(RealObjects.KernelPath(arch))) Skip = $"build/{arch}/molt-test.elf is not built (make ARCH={arch})";
    }
}

public static class RealObjects
{
    public static string ObjectPath(string arch) => Path.Combine(Repo.Root, "build", arch, "test", "patches", "linkprobe.o");
    public static string KernelPath(string arch) => Path.Combine(Repo.Root, "build", arch, "molt-test.elf");
    public static PatchArch Arch(string arch) => arch == "x64" ? PatchArch.X64 : PatchArch.Arm64;

    /// <summary>The kernel's symbols, by name (first definition wins).</summary>
    public static Dictionary<string, ulong> KernelSymbols(string arch)
    {
        var table = new Dictionary<string, ulong>();
        foreach (var s in Molt.Image.ElfSymbols.Read(File.ReadAllBytes(KernelPath(arch)), KernelPath(arch)))
            table.TryAdd(s.Name, s.Address);
        return table;
    }
}

/// <summary>The linker on real ilc --multifile objects (tests/patches/linkprobe), against the real kernel's symbols.</summary>
public class RealObjectTests(ITestOutputHelper output)
{
    [PatchFixtureFact("x64")] public void Links_the_x64_probe_patch() => LinksProbe("x64");
    [PatchFixtureFact("arm64")] public void Links_the_arm64_probe_patch() => LinksProbe("arm64");

    private void LinksProbe(string arch)
    {
        byte[] elf = File.ReadAllBytes(RealObjects.ObjectPath(arch));
        var kernel = RealObjects.KernelSymbols(arch);
        // A kernel built without --multifile trims what a patch expects (Object__ToString): stand-ins let the link finish, and are listed.
        // Stand-ins only answer for names the patch leaves undefined, never for COMDAT signatures.
        var undefined = new HashSet<string>();
        var perr = new LinkError();
        Assert.True(ElfObject.Parse(elf, RealObjects.Arch(arch), out var pobj, ref perr));
        for (int i = 1; i < pobj.SymbolCount; i++)
            if (pobj.Symbol(i).IsUndefined) undefined.Add(Encoding.ASCII.GetString(pobj.SymbolName(i)));
        var standIns = new List<string>();
        var resolver = new TableResolver(kernel, name =>
        {
            if (!undefined.Contains(name)) return null;
            standIns.Add(name);
            return 0xFFFFFFFF80201000UL + (ulong)standIns.Count * 16;
        });
        ulong textBase = arch == "x64" ? 0xFFFFFFFFA0000000 : kernel["__kernel_start"] + 0x4000000;
        var r = HostLink.Run(elf, RealObjects.Arch(arch), resolver, textBase: textBase);
        Assert.True(r.Ok, r.Message);
        output.WriteLine($"{arch}: text {r.Layout.TextSize}, rodata {r.Layout.RodataSize}, data {r.Layout.DataSize} bytes; {r.Layout.SectionsLoaded} sections loaded; " +
                         $"groups kept {r.Layout.GroupsKept}, dropped {r.Layout.GroupsDropped}; {r.Layout.Relocations} relocations; {r.Layout.VeneersUsed} veneers; stand-ins: {string.Join(", ", standIns)}");
        bool multifileKernel = kernel.ContainsKey("molt__ReadyToRunHeader");
        if (multifileKernel) Assert.Empty(standIns);

        var err = new LinkError();
        Assert.True(ElfObject.Parse(elf, RealObjects.Arch(arch), out var obj, ref err));
        // The module pointer in __modules points at the patch's own ReadyToRun header (RTR\0), not the kernel's.
        SectionPlan modules = r.Sections[r.Layout.ModulesSection];
        Assert.Equal(Region.Data, modules.Region);
        ulong header = BitConverter.ToUInt64(r.Data, (int)modules.Offset);
        byte[] headerBytes = Read(r, header, 16);
        Assert.Equal("RTR", Encoding.ASCII.GetString(headerBytes, 0, 3));
        Assert.Equal("linkprobe", Encoding.ASCII.GetString(PatchLinker.ModulePrefix(ref obj, r.Layout)));
        // Its rows point into the patch's own regions; 201 (GC statics) and 213 (module initializers) are there.
        int rows = BitConverter.ToUInt16(headerBytes, 12);
        var ids = new List<int>();
        for (int i = 0; i < rows; i++)
        {
            byte[] row = Read(r, header + 16 + (ulong)i * 24, 24);
            ids.Add(BitConverter.ToInt32(row, 0));
            ulong start = BitConverter.ToUInt64(row, 8), end = BitConverter.ToUInt64(row, 16);
            bool hasEnd = (BitConverter.ToInt32(row, 4) & 1) != 0; // ModuleInfoFlags.HasEndPointer
            Assert.True(InImage(r, start) && (!hasEnd || (end >= start && end - start < 1 << 20)), $"row {i} (section {ids[^1]}) [{start:x}, {end:x}) lies outside the patch");
        }
        Assert.Contains(201, ids);
        Assert.Contains(213, ids);
        // Shared names resolve to the kernel: a COMDAT group the kernel defines was dropped.
        Assert.True(r.Layout.GroupsDropped >= 1);
        // The patch's class' base is the kernel's LinkProbeBase MethodTable.
        int patchMt = FindSymbol(ref obj, "_ZTV35linkprobe_LinkProbePatch_PatchProbe");
        ulong mt = HostLink.DataBase + r.Sections[obj.Symbol(patchMt).Section].Offset + obj.Symbol(patchMt).Value;
        ulong baseMt = BitConverter.ToUInt64(Read(r, mt + 8, 8));
        if (kernel.TryGetValue("_ZTV36molt_Molt_Update_Tests_LinkProbeBase", out ulong kernelBase)) Assert.Equal(kernelBase, baseMt);
        else Assert.True(baseMt >= 0xFFFFFFFF80201000UL && baseMt < 0xFFFFFFFF80202000UL, "the base is the resolver's stand-in"); // a kernel without --multifile trims the unused type
    }

    [PatchFixtureFact("x64")] public void The_x64_second_patch_links_against_the_first() => LinksChain("x64");
    [PatchFixtureFact("arm64")] public void The_arm64_second_patch_links_against_the_first() => LinksChain("arm64");

    /// <summary>linkprobe2 (compiled with -r:linkprobe.dll) is refused against the kernel alone and links against the kernel plus linkprobe's exports.</summary>
    private void LinksChain(string arch)
    {
        string second = Path.Combine(Path.GetDirectoryName(RealObjects.ObjectPath(arch))!, "linkprobe2.o");
        Assert.True(File.Exists(second), $"{second} is built with linkprobe.o");
        byte[] first = File.ReadAllBytes(RealObjects.ObjectPath(arch)), elf2 = File.ReadAllBytes(second);
        PatchArch a = RealObjects.Arch(arch);
        var kernel = RealObjects.KernelSymbols(arch);
        ulong textBase = arch == "x64" ? 0xFFFFFFFFA0000000 : kernel["__kernel_start"] + 0x4000000;

        var alone = HostLink.Run(elf2, a, new TableResolver(kernel), textBase: textBase);
        Assert.Equal(LinkErrorCode.UndefinedSymbols, alone.Code);
        Assert.Contains("linkprobe_LinkProbePatch_Entry__Create", alone.Message);

        var r1 = HostLink.Run(first, a, new TableResolver(kernel), textBase: textBase);
        Assert.True(r1.Ok, r1.Message);
        var err = new LinkError();
        Assert.True(ElfObject.Parse(first, a, out var obj1, ref err));
        var target = new LinkTarget { TextBase = textBase, RodataBase = HostLink.RodataBase, DataBase = HostLink.DataBase };
        var exports = new Dictionary<string, ulong>();
        for (int i = 1; i < obj1.SymbolCount; i++)
            if (PatchLinker.IsExport(ref obj1, r1.Sections, r1.Layout, i))
                exports[Encoding.ASCII.GetString(obj1.SymbolName(i))] = PatchLinker.SectionAddress(target, r1.Sections[obj1.Symbol(i).Section]) + obj1.Symbol(i).Value;
        Assert.DoesNotContain("linkprobe__ReadyToRunHeader", exports.Keys);
        Assert.Contains("linkprobe_LinkProbePatch_Entry__Create", exports.Keys);

        // The chain: kernel first, then the first patch's exports.
        var chain = new TableResolver(kernel, name => exports.TryGetValue(name, out ulong v) ? v : null);
        var r2 = HostLink.Run(elf2, a, chain, textBase: textBase + 0x100000);
        Assert.True(r2.Ok, r2.Message);
        Assert.True(ElfObject.Parse(elf2, a, out var obj2, ref err));
        int create = FindSymbol(ref obj2, "linkprobe_LinkProbePatch_Entry__Create");
        int patchMt = FindSymbol(ref obj2, "_ZTV35linkprobe_LinkProbePatch_PatchProbe");
        Assert.Equal(exports["linkprobe_LinkProbePatch_Entry__Create"], r2.Symbols[create].Address);
        Assert.Equal(exports["_ZTV35linkprobe_LinkProbePatch_PatchProbe"], r2.Symbols[patchMt].Address);
        output.WriteLine($"{arch}: linkprobe exports {exports.Count} symbols; linkprobe2 links against them ({r2.Layout.Relocations} relocations)");
    }

    private static int FindSymbol(ref ElfObject obj, string name)
    {
        for (int i = 1; i < obj.SymbolCount; i++) if (SymbolPolicy.Equal(obj.SymbolName(i), name)) return i;
        throw new Xunit.Sdk.XunitException($"no symbol {name}");
    }

    private static bool InImage(HostLink.Result r, ulong a) =>
        (a >= HostLink.DataBase && a <= HostLink.DataBase + r.Layout.DataSize) ||
        (a >= HostLink.RodataBase && a <= HostLink.RodataBase + r.Layout.RodataSize);

    private static byte[] Read(HostLink.Result r, ulong address, int n)
    {
        if (address >= HostLink.DataBase) return r.Data.AsSpan((int)(address - HostLink.DataBase), n).ToArray();
        return r.Rodata.AsSpan((int)(address - HostLink.RodataBase), n).ToArray();
    }
}
