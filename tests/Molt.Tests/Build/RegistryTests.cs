using System.Diagnostics;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.Build;

/// <summary>
/// image/registry.sh, which writes the in-kernel test registry (AllTests) from
/// every <c>static void Register()</c> under a Tests/ folder, so a new test
/// file needs no list edited.
/// </summary>
public class RegistryTests
{
    private static (int Status, string Output, string Error) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(Repo.Root, "image", "registry.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error);
    }

    [Fact]
    public void Every_Register_in_the_files_is_called_with_its_namespace_and_class_in_path_order()
    {
        string dir = Directory.CreateTempSubdirectory("molt-registry-").FullName;
        try
        {
            string a = Path.Combine(dir, "A.cs"), b = Path.Combine(dir, "B.cs"), helper = Path.Combine(dir, "Helper.cs");
            File.WriteAllText(a, "namespace Molt.Net.Tests\n{\n    // a class Decoy in a comment\n    internal static class ArpTests\n    {\n        public static void Register() { }\n    }\n}\n");
            File.WriteAllText(b, "namespace Molt.Linker.Tests;\n\npublic static class ElfTests\n{\n    private struct Builder { public int X; }\n    private record Row(int A);\n    private const string Text = \"class Fake {\";\n    internal static void Register()\n    {\n        Other.Register();\n    }\n    private sealed class After { }\n}\n");
            File.WriteAllText(helper, "namespace Molt.Tests { internal sealed class Fixture { public void Run() { } } }\n");
            string output = Path.Combine(dir, "gen", "AllTests.g.cs");
            var (status, _, error) = Run("Molt.Testing", "AllTests", output, a, b, helper);
            Assert.True(status == 0, error);
            string text = File.ReadAllText(output);
            Assert.Contains("namespace Molt.Testing", text);
            Assert.Contains("internal static class AllTests", text);
            var calls = text.Split('\n').Select(l => l.Trim()).Where(l => l.EndsWith(".Register();")).ToArray();
            Assert.Equal(["global::Molt.Net.Tests.ArpTests.Register();", "global::Molt.Linker.Tests.ElfTests.Register();"], calls);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_Register_in_a_nested_class_names_the_nesting()
    {
        string dir = Directory.CreateTempSubdirectory("molt-registry-").FullName;
        try
        {
            string a = Path.Combine(dir, "A.cs");
            File.WriteAllText(a, "namespace N\n{\n    static class Outer\n    {\n        static class Inner\n        {\n            public static void Register() { }\n        }\n    }\n}\n");
            string output = Path.Combine(dir, "out.cs");
            var (status, _, error) = Run("Molt.Testing", "AllTests", output, a);
            Assert.True(status == 0, error);
            Assert.Contains("global::N.Outer.Inner.Register();", File.ReadAllText(output));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_Register_outside_a_class_is_an_error_naming_the_file_and_line()
    {
        string dir = Directory.CreateTempSubdirectory("molt-registry-").FullName;
        try
        {
            string bad = Path.Combine(dir, "Bad.cs");
            File.WriteAllText(bad, "namespace X;\nstatic void Register() { }\n");
            var (status, _, error) = Run("Molt.Testing", "AllTests", Path.Combine(dir, "out.cs"), bad);
            Assert.NotEqual(0, status);
            Assert.Contains("Bad.cs:2: Register() outside a class", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
