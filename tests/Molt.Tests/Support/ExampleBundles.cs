using System.Collections.Concurrent;
using Molt.QemuRunner;
using Molt.Tests.Cli;
using Xunit;

namespace Molt.Tests.Support;

/// <summary>
/// The example patches (examples/patches), built and signed by the molt
/// tool for one arch and one kernel build ("test": molt-test.elf, "release":
/// molt.elf), once per test run.
/// </summary>
public static class ExampleBundles
{
    /// <summary>In stacking order: each one's base level is the one before.</summary>
    public static readonly string[] Names = ["kv-fix-case", "kv-versions", "kv-adapter", "kv-audit"];

    /// <summary>One build at a time: every build of an example writes its intermediates to the same examples/patches/NAME/obj/ARCH/.</summary>
    private static readonly object s_buildLock = new();

    private static readonly ConcurrentDictionary<(QemuArch, string), Lazy<Dictionary<string, byte[]>>> s_built = new();

    public static Dictionary<string, byte[]> For(QemuArch arch, string kernel) => s_built.GetOrAdd((arch, kernel), key => new Lazy<Dictionary<string, byte[]>>(() =>
    {
        string dir = MoltTool.TempDir();
        var result = new Dictionary<string, byte[]>();
        lock (s_buildLock)
        foreach (string name in Names)
        {
            string output = Path.Combine(dir, name + ".bundle");
            var r = MoltTool.Run(Repo.Root, "patch", "build", Path.Combine(Repo.Root, "examples", "patches", name),
                "--arch", key.Item1.ToName(), "--kernel", key.Item2, "-o", output);
            Assert.True(r.ExitCode == 0, $"molt patch build {name} --kernel {key.Item2}: {r.Stderr}{r.Stdout}");
            result[name] = File.ReadAllBytes(output);
        }
        return result;
    })).Value;
}
