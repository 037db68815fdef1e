using Molt.Update.Linker;
using Xunit;

namespace Molt.Tests.Linker;

/// <summary>The ELF reader and the link policy on synthetic objects (ElfBuilder).</summary>
public class PatchLinkerTests
{
    private const ulong KernelObjectMT = 0xFFFFFFFF80300000, KernelNewFast = 0xFFFFFFFF80201000, KernelArrayMT = 0xFFFFFFFF80310000;

    private static TableResolver Kernel() => new(new Dictionary<string, ulong>
    {
        ["_ZTV6Object"] = KernelObjectMT,
        ["RhpNewFast"] = KernelNewFast,
        ["_ZTV13__Array<Int32>"] = KernelArrayMT,
        ["__managed__Startup"] = 0xFFFFFFFF80200000,
        ["g_requiredCpuFeatures"] = 0xFFFFFFFF80400000,
    });

    /// <summary>A small patch: code calling the kernel, a new MethodTable, a shared array MethodTable in a COMDAT group, startup code.</summary>
    private static (ElfBuilder b, int code, int mt, int arrayMt, int startup) SmallPatch(PatchArch arch)
    {
        var b = new ElfBuilder(arch);
        b.AddModule("p1");
        int code = b.Text("__managedcode", new byte[64]);
        int mt = b.Data(".data", new byte[24]);
        int arrayMt = b.Data(".data", new byte[24]);
        int startup = b.Text(".text", new byte[16]);
        int eh = b.AddSection(".eh_frame", arch == PatchArch.X64 ? Elf.ShtX86Unwind : Elf.ShtProgbits, Elf.ShfAlloc, new byte[32]);
        int bss = b.Bss(".bss", 40);
        b.AddSymbol("p1_Patch_Probe__Run", code, 0, type: Elf.SttFunc, size: 64);
        int mtSym = b.AddSymbol("_ZTV14p1_Patch_Probe", mt, 0, size: 24);
        int arraySym = b.AddSymbol("_ZTV13__Array<Int32>", arrayMt, 0, size: 24);
        int startupSym = b.AddSymbol("__managed__Startup", startup, 0, type: Elf.SttFunc);
        b.AddSymbol("__NONGCSTATICSp1_Patch_Probe", bss, 8);
        int objectMt = b.Undefined("_ZTV6Object");
        int newFast = b.Undefined("RhpNewFast");
        b.AddGroup(mtSym, mt);
        b.AddGroup(arraySym, arrayMt);
        b.AddGroup(startupSym, startup);
        if (arch == PatchArch.X64)
        {
            b.AddRela(code, 4, newFast, Elf.R_X86_64_PLT32, -4);
            b.AddRela(code, 12, arraySym, Elf.R_X86_64_PC32, -4);
            b.AddRela(code, 20, mtSym, Elf.R_X86_64_PLT32, -4);
            b.AddRela(mt, 16, objectMt, Elf.R_X86_64_64);
        }
        else
        {
            BitConverter.GetBytes(0x94000000u).CopyTo(new byte[4], 0);
            b.AddRela(code, 4, newFast, Elf.R_AARCH64_CALL26);
            b.AddRela(code, 12, arraySym, Elf.R_AARCH64_ADR_PREL_PG_HI21);
            b.AddRela(code, 16, arraySym, Elf.R_AARCH64_ADD_ABS_LO12_NC);
            b.AddRela(code, 20, mtSym, Elf.R_AARCH64_PREL32);
            b.AddRela(mt, 16, objectMt, Elf.R_AARCH64_ABS64);
        }
        b.AddRela(eh, 0, startupSym, arch == PatchArch.X64 ? Elf.R_X86_64_PC32 : Elf.R_AARCH64_PREL32);
        return (b, code, mt, arrayMt, startup);
    }

    [Theory]
    [InlineData(PatchArch.X64)]
    [InlineData(PatchArch.Arm64)]
    public void Links_a_small_patch_with_the_one_type_identity_policy(PatchArch arch)
    {
        var (b, code, mt, arrayMt, startup) = SmallPatch(arch);
        var r = HostLink.Run(b.Build(), arch, Kernel());
        Assert.True(r.Ok, r.Message);
        // The shared array MethodTable's group is dropped: the kernel's wins.
        Assert.True(r.Sections[arrayMt].DroppedGroup);
        Assert.Equal(Region.None, r.Sections[arrayMt].Region);
        // New types and the module-private startup code stay the patch's, even though the kernel has __managed__Startup.
        Assert.Equal(Region.Data, r.Sections[mt].Region);
        Assert.Equal(Region.Text, r.Sections[startup].Region);
        Assert.Equal(Region.Text, r.Sections[code].Region);
        Assert.Equal(1, r.Layout.GroupsDropped);
        Assert.Equal(2, r.Layout.GroupsKept);
        // The MethodTable's base pointer is the kernel's Object.
        ulong mtAddress = HostLink.DataBase + r.Sections[mt].Offset;
        Assert.Equal(KernelObjectMT, BitConverter.ToUInt64(r.Data, (int)r.Sections[mt].Offset + 16));
        int codeAt = (int)r.Sections[code].Offset;
        ulong codeAddress = HostLink.TextBase + r.Sections[code].Offset;
        if (arch == PatchArch.X64)
        {
            Assert.Equal(unchecked((long)KernelNewFast) - (long)(codeAddress + 4) - 4, BitConverter.ToInt32(r.Text, codeAt + 4));
            Assert.Equal(unchecked((long)KernelArrayMT) - (long)(codeAddress + 12) - 4, BitConverter.ToInt32(r.Text, codeAt + 12));
            Assert.Equal((long)mtAddress - (long)(codeAddress + 20) - 4, BitConverter.ToInt32(r.Text, codeAt + 20));
        }
        else
        {
            // The kernel is 512 MiB from the patch text here: beyond CALL26's reach, so the call goes through a veneer.
            Assert.Equal(1, r.Layout.VeneersUsed);
            ulong veneer = HostLink.TextBase + r.Layout.VeneerOffset;
            uint bl = BitConverter.ToUInt32(r.Text, codeAt + 4);
            Assert.Equal((long)veneer - (long)(codeAddress + 4), (long)((int)(bl << 6) >> 6) * 4);
            Assert.Equal(KernelNewFast, BitConverter.ToUInt64(r.Text, (int)r.Layout.VeneerOffset + 8));
            Assert.Equal((uint)(mtAddress - (codeAddress + 20)), BitConverter.ToUInt32(r.Text, codeAt + 20));
        }
        // .eh_frame is not loaded; .bss sits after .data in the data region.
        Assert.True(r.Layout.DataSize >= 24 * 2 + 40);
    }

    [Fact]
    public void Arm64_call_within_range_needs_no_veneer()
    {
        var (b, code, _, _, _) = SmallPatch(PatchArch.Arm64);
        var r = HostLink.Run(b.Build(), PatchArch.Arm64, Kernel(), textBase: KernelNewFast + 0x100000);
        Assert.True(r.Ok, r.Message);
        Assert.Equal(0, r.Layout.VeneersUsed);
    }

    [Fact]
    public void X64_pc32_beyond_2GiB_is_refused_with_symbol_and_offset()
    {
        var (b, _, _, _, _) = SmallPatch(PatchArch.X64);
        var r = HostLink.Run(b.Build(), PatchArch.X64, Kernel(), textBase: 0xFFFF800000000000);
        Assert.False(r.Ok);
        Assert.Equal(LinkErrorCode.RelocationOverflow, r.Code);
        Assert.Contains("R_X86_64_PLT32", r.Message);
        Assert.Contains("'RhpNewFast'", r.Message);
        Assert.Contains("at offset 0x4", r.Message);
        Assert.Contains("'__managedcode'", r.Message);
    }

    [Fact]
    public void Every_undefined_symbol_is_named()
    {
        var b = new ElfBuilder(PatchArch.X64);
        b.AddModule("p2");
        int code = b.Text("__managedcode", new byte[256]);
        for (int i = 0; i < 20; i++) b.AddRela(code, (ulong)(i * 8), b.Undefined("Missing_" + i), Elf.R_X86_64_64);
        var r = HostLink.Run(b.Build(), PatchArch.X64, Kernel());
        Assert.False(r.Ok);
        Assert.Equal(LinkErrorCode.UndefinedSymbols, r.Code);
        for (int i = 0; i < PatchLinker.MaxNamedUndefined; i++) Assert.Contains("Missing_" + i, r.Message);
        Assert.Contains("and 4 more (20 in all)", r.Message);
    }

    [Theory]
    [InlineData(PatchArch.X64, 9u, "R_X86_64_GOTPCREL")]
    [InlineData(PatchArch.Arm64, 311u, "R_AARCH64_ADR_GOT_PAGE")]
    public void Unsupported_relocation_is_named(PatchArch arch, uint type, string name)
    {
        var b = new ElfBuilder(arch);
        b.AddModule("p3");
        int code = b.Text("__managedcode", new byte[16]);
        b.AddRela(code, 8, b.Undefined("RhpNewFast"), type);
        var r = HostLink.Run(b.Build(), arch, Kernel());
        Assert.False(r.Ok);
        Assert.Equal(LinkErrorCode.UnsupportedRelocation, r.Code);
        Assert.Contains($"{type} ({name})", r.Message);
        Assert.Contains("at offset 0x8", r.Message);
        Assert.Contains("'__managedcode'", r.Message);
    }

    [Fact]
    public void Relocation_field_outside_its_section_is_refused()
    {
        var b = new ElfBuilder(PatchArch.X64);
        b.AddModule("p4");
        int code = b.Text("__managedcode", new byte[16]);
        b.AddRela(code, 12, b.Undefined("RhpNewFast"), Elf.R_X86_64_64);
        var r = HostLink.Run(b.Build(), PatchArch.X64, Kernel());
        Assert.Equal(LinkErrorCode.BadRelocation, r.Code);
        Assert.Contains("field outside its section", r.Message);
    }

    [Fact]
    public void Reference_to_a_symbol_in_an_unloaded_section_is_refused()
    {
        var b = new ElfBuilder(PatchArch.X64);
        b.AddModule("p5");
        int code = b.Text("__managedcode", new byte[16]);
        int eh = b.AddSection(".dotnet_eh_table", Elf.ShtProgbits, Elf.ShfAlloc, new byte[8]);
        b.AddRela(code, 0, b.AddSymbol("_lsda0p5_Thing", eh), Elf.R_X86_64_64);
        var r = HostLink.Run(b.Build(), PatchArch.X64, Kernel());
        Assert.Equal(LinkErrorCode.SymbolNotLoaded, r.Code);
        Assert.Contains("'_lsda0p5_Thing'", r.Message);
    }

    [Fact]
    public void Module_private_names()
    {
        byte[] prefix = "p1"u8.ToArray();
        Assert.True(SymbolPolicy.IsModulePrivate("__managed__Startup"u8, prefix));
        Assert.True(SymbolPolicy.IsModulePrivate("Internal_CompilerGenerated__Module___NativeLibraryStartup"u8, prefix));
        Assert.True(SymbolPolicy.IsModulePrivate("g_compilerEmbeddedKnobsBlob"u8, prefix));
        Assert.True(SymbolPolicy.IsModulePrivate("p1__ReadyToRunHeader"u8, prefix));
        Assert.True(SymbolPolicy.IsModulePrivate("p1__Str_hello_0B9A"u8, prefix));
        Assert.True(SymbolPolicy.IsModulePrivate("_lsda0p1_X__Y"u8, prefix));
        Assert.True(SymbolPolicy.IsModulePrivate("__ehinfo3"u8, prefix));
        Assert.False(SymbolPolicy.IsModulePrivate("p1_Patch_Probe__Run"u8, prefix)); // the patch's method: exported
        Assert.False(SymbolPolicy.IsModulePrivate("p12__ReadyToRunHeader"u8, prefix)); // another module
        Assert.False(SymbolPolicy.IsModulePrivate("_ZTV13__Array<Int32>"u8, prefix));
        Assert.False(SymbolPolicy.IsModulePrivate("__GCStaticEEType_01"u8, prefix));
    }

    [Fact]
    public void Exports_are_the_patch_types_and_methods_not_module_internals()
    {
        var (b, _, _, _, _) = SmallPatch(PatchArch.X64);
        byte[] elf = b.Build();
        var r = HostLink.Run(elf, PatchArch.X64, Kernel());
        Assert.True(r.Ok, r.Message);
        var err = new LinkError();
        Assert.True(ElfObject.Parse(elf, PatchArch.X64, out var obj, ref err));
        var exported = new List<string>();
        for (int i = 1; i < obj.SymbolCount; i++)
            if (PatchLinker.IsExport(ref obj, r.Sections, r.Layout, i)) exported.Add(System.Text.Encoding.ASCII.GetString(obj.SymbolName(i)));
        Assert.Equal(new[] { "p1_Patch_Probe__Run", "_ZTV14p1_Patch_Probe", "__NONGCSTATICSp1_Patch_Probe" }, exported);
    }

    // ---- the reader's refusals ----
    private static string ParseError(byte[] elf, PatchArch arch = PatchArch.X64)
    {
        var err = new LinkError();
        bool ok = ElfObject.Parse(elf, arch, out var obj, ref err);
        if (ok) ok = obj.CheckOverlaps(new int[obj.SectionCount], ref err);
        Assert.False(ok);
        Assert.NotEqual(LinkErrorCode.None, err.Code);
        return HostLink.Text(ref err);
    }

    private static byte[] Minimal() { var b = new ElfBuilder(PatchArch.X64); b.AddModule("m"); return b.Build(); }

    [Fact]
    public void Reader_refuses_with_precise_reasons()
    {
        Assert.Contains("shorter than an ELF64 header", ParseError(Minimal()[..40]));
        Assert.Contains("EM_AARCH64 (183)", ParseError(Minimal(), PatchArch.Arm64));
        var e = Minimal(); e[16] = 2;
        Assert.Contains("not ET_REL", ParseError(e));
        e = Minimal(); e[4] = 1;
        Assert.Contains("ELFCLASS64", ParseError(e));
        // Truncated: the section header table runs off the end.
        e = Minimal();
        Assert.Contains("e_shoff", ParseError(e[..(e.Length - 100)]));
    }

    private static int SectionHeader(byte[] elf, int index) => (int)BitConverter.ToUInt64(elf, 40) + index * 64;

    [Fact]
    public void Reader_names_the_faulty_section()
    {
        var e = Minimal();
        int h = SectionHeader(e, 1);
        BitConverter.GetBytes((ulong)e.Length).CopyTo(e, h + 32); // .data size past the end
        string m = ParseError(e);
        Assert.Contains("section 1 '.data'", m);
        Assert.Contains("runs past the end", m);
        e = Minimal();
        BitConverter.GetBytes(3UL).CopyTo(e, SectionHeader(e, 1) + 48);
        Assert.Contains("power of two", ParseError(e));
        e = Minimal();
        BitConverter.GetBytes(BitConverter.ToUInt64(e, SectionHeader(e, 1) + 24)).CopyTo(e, SectionHeader(e, 2) + 24); // __modules over .data
        Assert.Contains("overlaps", ParseError(e));
        e = Minimal();
        BitConverter.GetBytes(9u).CopyTo(e, SectionHeader(e, 3) + 4); // the RELA becomes SHT_REL
        Assert.Contains("SHT_REL", ParseError(e));
    }

    [Fact]
    public void Reader_names_the_faulty_symbol_and_relocation()
    {
        var b = new ElfBuilder(PatchArch.X64);
        b.AddModule("m");
        int code = b.Text("__managedcode", new byte[16]);
        b.AddRela(code, 0, 77, Elf.R_X86_64_64);
        Assert.Contains("names symbol 77", ParseError(b.Build()));
        b = new ElfBuilder(PatchArch.X64);
        b.AddModule("m");
        b.AddSymbol("Bad", 99);
        string m = ParseError(b.Build());
        Assert.Contains("'Bad'", m);
        Assert.Contains("section index 99", m);
        b = new ElfBuilder(PatchArch.X64);
        b.AddModule("m");
        int d = b.Data(".data", new byte[8]);
        b.AddSymbol("TooFar", d, 4, size: 8);
        Assert.Contains("lies outside its section", ParseError(b.Build()));
        b = new ElfBuilder(PatchArch.X64);
        b.AddModule("m");
        b.AddGroup(1, 55);
        Assert.Contains("is section 55", ParseError(b.Build()));
        b = new ElfBuilder(PatchArch.X64);
        b.AddModule("m");
        b.AddSection(".tdata", Elf.ShtProgbits, Elf.ShfAlloc | Elf.ShfWrite | Elf.ShfTls, new byte[8]);
        Assert.Contains("SHF_TLS", ParseError(b.Build()));
    }

    [Fact]
    public void Object_without_a_module_is_refused()
    {
        var b = new ElfBuilder(PatchArch.X64);
        b.Text("__managedcode", new byte[16]);
        var r = HostLink.Run(b.Build(), PatchArch.X64, Kernel());
        Assert.Equal(LinkErrorCode.BadModule, r.Code);
        Assert.Contains("__modules", r.Message);
    }
}
