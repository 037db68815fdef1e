using System.Security.Cryptography;
using System.Text;
using Molt.Tests.Support;
using Molt.Update.Bundles;
using Xunit;

namespace Molt.Tests.Cli;

/// <summary>keygen, new, build and inspect end to end on a tiny patch against build/x64/molt.dll; and the patch rules.</summary>
public class PatchBuildTests : IDisposable
{
    private readonly string _dir = MoltTool.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Comparer = """
        namespace Patches.Tiny
        {
            /// <summary>Implements a generic kernel interface over a reference type: allowed, and kept alive by the builder.</summary>
            public sealed class Cmp : System.IComparable<object> { public int CompareTo(object o) => 1; }
        }
        """;

    private void NewTiny(string extraSource)
    {
        Assert.Equal(0, MoltTool.Run(_dir, "keygen", "-o", "keys").ExitCode);
        Assert.Equal(0, MoltTool.Run(_dir, "patch", "new", "tiny").ExitCode);
        File.WriteAllText(Path.Combine(_dir, "tiny", "Extra.cs"), extraSource);
    }

    private ToolResult Build(params string[] extra) =>
        MoltTool.Run(_dir, ["patch", "build", "tiny", "--arch", "x64", "--key", "keys/molt-signing.key", .. extra]);

    private static byte[] KernelBuildId()
    {
        string idFile = Path.Combine(Repo.Root, "build", "x64", "build-id");
        return File.Exists(idFile)
            ? Convert.FromHexString(File.ReadAllText(idFile).Trim())
            : SHA256.HashData(File.ReadAllBytes(Path.Combine(Repo.Root, "build", "x64", "molt.elf")));
    }

    [KernelBuildFact]
    public void KeygenNewBuildInspect_EndToEnd()
    {
        NewTiny(Comparer);
        ToolResult built = Build("-o", "out/tiny.mpatch");
        Assert.True(built.ExitCode == 0, built.ToString());
        byte[] bundle = File.ReadAllBytes(Path.Combine(_dir, "out", "tiny.mpatch"));

        // The kernel's own reader accepts it, and its fields are the manifest's and this kernel build's.
        Assert.True(BundleReader.TryParse(bundle, out BundleView v, out BundleError e), e.Reason);
        Assert.Equal(BundleArch.X64, v.Arch);
        Assert.Equal(KernelBuildId(), v.BuildId.ToArray());
        Assert.Equal(1UL, v.Sequence);
        Assert.Equal(0U, v.BaseLevel);
        Assert.Equal("tiny", Encoding.UTF8.GetString(v.Name));
        Assert.Equal("tiny_1_Patches_Tiny_PatchMain__Register", Encoding.ASCII.GetString(v.EntrySymbol));
        Assert.Equal(UpdateKind.NewType, v.GetUpdate(0).Kind);
        Assert.Equal((ushort)62, BitConverter.ToUInt16(v.Object.Slice(18, 2)));
        var facts = new KernelFacts { Arch = BundleArch.X64, BuildId = KernelBuildId(), CurrentLevel = 0, LastSequence = 0 };
        Assert.Equal(BundleErrorCode.None, BundlePolicy.Check(v, facts).Code);

        // Inspect: every field, a valid signature, the symbols needed and defined.
        ToolResult shown = MoltTool.Run(_dir, "patch", "inspect", "out/tiny.mpatch", "--key", "keys/molt-signing.pub");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        foreach (string s in new[] { "name          tiny", "arch          x64", "sequence      1", "base level    0", Convert.ToHexStringLower(KernelBuildId()),
                                      "tiny_1_Patches_Tiny_PatchMain__Register", "new-type", "valid against", "_ZTV6Object", "tiny_1_Patches_Tiny_Cmp__CompareTo" })
            Assert.Contains(s, shown.Stdout);
        Assert.Contains("_ZTV33molt_System_IComparable_1<Object>", shown.Stdout);

        // Deterministic: the same inputs give the same bytes.
        Assert.Equal(0, Build("-o", "out/again.mpatch").ExitCode);
        Assert.Equal(bundle, File.ReadAllBytes(Path.Combine(_dir, "out", "again.mpatch")));

        // Another key: the signature fails, with one line.
        Assert.Equal(0, MoltTool.Run(_dir, "keygen", "-o", "other").ExitCode);
        ToolResult wrong = MoltTool.Run(_dir, "patch", "inspect", "out/tiny.mpatch", "--key", "other/molt-signing.pub");
        Assert.Contains("INVALID", wrong.Stdout);
        Assert.Contains("signed by another key", wrong.AssertOneLineError());

        // A changed byte: the signature fails too.
        bundle[BundleFormat.OffSequence] ^= 1;
        File.WriteAllBytes(Path.Combine(_dir, "out", "tampered.mpatch"), bundle);
        Assert.Contains("does not verify", MoltTool.Run(_dir, "patch", "inspect", "out/tampered.mpatch", "--key", "keys/molt-signing.pub").AssertOneLineError());
    }

    public static TheoryData<string, string[]> Violations() => new()
    {
        {
            "namespace Patches.Bad { public sealed class Disp : System.IDisposable { public void Dispose() { } } }",
            ["Patches.Bad.Disp", "non-generic kernel interface System.IDisposable"]
        },
        {
            "namespace Patches.Bad { public sealed class IntCmp : System.IComparable<int> { public int CompareTo(int o) => 0; } }",
            ["Patches.Bad.IntCmp", "System.IComparable<int>", "value type int"]
        },
        {
            """
            namespace Patches.Bad {
                public sealed class Fac : Molt.Update.BasicFactory {
                    public override object CreateRepresentative(Molt.Update.ObjectRoot root, int cpu) => null;
                    public override bool ImportState(object into, object from, int format) => true;
                    public override bool SelfCheck(object r) => false;
                }
            }
            """,
            ["Patches.Bad.Fac.SelfCheck", "Molt.Update.BasicFactory.SelfCheck", "has a body"]
        },
        {
            "namespace Patches.Bad { public sealed class Oops : System.Exception { } }",
            ["Patches.Bad.Oops", "System.Exception", "not abstract"]
        },
    };

    [KernelBuildTheory]
    [MemberData(nameof(Violations))]
    public void PatchBreakingARule_IsRefusedNamingTheClass(string source, string[] mentions)
    {
        NewTiny(source);
        string line = Build().AssertOneLineError();
        Assert.Contains("patch rule", line);
        foreach (string m in mentions) Assert.Contains(m, line);
        Assert.False(Directory.Exists(Path.Combine(_dir, "tiny", "build")), "a refused patch must not leave a bundle");
    }

    [KernelBuildFact]
    public void ClassThatLostItsKernelInterface_IsRefusedAfterIlc()
    {
        // Without the generated use, ilc drops the interface: the object check must see it.
        NewTiny(Comparer);
        string line = Build("--no-keep-interfaces").AssertOneLineError();
        Assert.Contains("Patches.Tiny.Cmp would lose the kernel interface System.IComparable<object>", line);
        Assert.Contains("lists 0 interface(s)", line);
    }

    [KernelBuildFact]
    public void AbstractKernelBase_AndInterfaceExtendingAKernelOne_Build()
    {
        NewTiny("""
            namespace Patches.Tiny {
                public sealed class Fac : Molt.Update.UpdatableFactory {
                    public override object CreateRepresentative(Molt.Update.ObjectRoot root, int cpu) => null;
                    public override bool ImportState(object into, object from, int format) => true;
                    public override bool SelfCheck(object r) => true;
                    public override object CreateAdapter(Molt.Update.InterfaceKey i, object r) => null;
                    public override void ReleaseRepresentative(object r) { }
                    public override string ToString() => "fac";
                }
                // A patch interface that extends a kernel one; the class implementing it keeps both.
                public interface IMine : System.IComparable<object> { int More(); }
                public sealed class Mine : IMine { public int CompareTo(object o) => 0; public int More() => 1; }
            }
            """);
        ToolResult r = Build();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(_dir, "tiny", "build", "tiny_1.x64.mpatch")));
    }
}
