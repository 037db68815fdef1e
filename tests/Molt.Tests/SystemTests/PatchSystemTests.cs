using System.Text;
using Molt.QemuRunner;
using Molt.Tests.Cli;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Patches end to end, as a user makes them: the molt tool builds and signs
/// the examples (examples/patches) for the exact test kernel, a cpio archive
/// of bundles is the boot module, and the kernel applies them.
/// - The in-kernel test patch.examples_stack_and_roll_back_under_load applies
///   the four examples while every CPU writes and reads the store, checks
///   each new behaviour and the kept state, then rolls back level by level.
/// - Every refusal case reaches the kernel (patch.apply=, one log line per
///   bundle) and is refused at the right step with its reason, nothing
///   changed, after which a good bundle still applies.
/// </summary>
public class PatchSystemTests
{
    private static readonly string[] Examples = ExampleBundles.Names;

    /// <summary>The example bundles for <paramref name="arch"/>'s test kernel, built once per run.</summary>
    private static Dictionary<string, byte[]> Bundles(QemuArch arch) => ExampleBundles.For(arch, "test");

    /// <summary>On arm64 QEMU hands the boot module only to an Image: boot molt-test.img there.</summary>
    private static string TestKernel(QemuArch arch) => arch == QemuArch.Arm64
        ? Path.Combine(Repo.Root, "build", "arm64", "molt-test.img")
        : Repo.TestKernelElf(arch);

    private static Task<QemuResult> Boot(QemuArch arch, int cpus, string archive, string commandLine) =>
        QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = TestKernel(arch),
            InitrdPath = archive,
            CommandLine = commandLine,
            Cpus = cpus,
            Timeout = TimeSpan.FromSeconds(180),
        });

    [Theory]
    [OnArch(QemuArch.X64, 1), OnArch(QemuArch.X64, 4), OnArch(QemuArch.Arm64, 1), OnArch(QemuArch.Arm64, 4)]
    public async Task The_examples_stack_and_roll_back_under_load_with_nothing_lost(QemuArch arch, int cpus)
    {
        var bundles = Bundles(arch);
        string archive = Cpio.Write(MoltTool.TempDir(), "examples.cpio", Examples.Select(e => (e + ".bundle", bundles[e])));
        var r = await Boot(arch, cpus, archive, "test test.filter=patch.");
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l == "PASS patch.examples_stack_and_roll_back_under_load");
        foreach (string e in Examples)
            Assert.Contains(r.SerialLines, l => l.Contains($"patch: {e}.bundle: applied '{e}'"));
    }

    [Theory]
    [OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task Every_refusal_reaches_the_kernel_with_its_reason_and_changes_nothing(QemuArch arch)
    {
        byte[] good = Bundles(arch)["kv-fix-case"];
        var cases = RefusalBundles.Cases(good);
        // A good bundle last: the kernel kept running and its state, and still applies patches.
        var files = cases.Select(c => ("refuse-" + c.Name + ".bundle", c.Bytes)).Append(("kv-fix-case.bundle", good));
        string archive = Cpio.Write(MoltTool.TempDir(), "refusals.cpio", files);
        var r = await Boot(arch, 1, archive, "patch.apply=0 exit");
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        foreach (var c in cases)
        {
            string line = r.SerialLines.FirstOrDefault(l => l.Contains($"patch: warning: refuse-{c.Name}.bundle: ")) ?? "";
            Assert.True(line.Contains(c.Expect), $"{c.Name}: expected '{c.Expect}' in '{line}'\n{string.Join('\n', r.SerialLines.Where(l => l.Contains("patch:")))}");
        }
        Assert.Contains(r.SerialLines, l => l.Contains("patch: kv-fix-case.bundle: applied 'kv-fix-case' as level 1"));
        Assert.Contains(r.SerialLines, l => l.Contains($"boot bundles: 1 of {cases.Count + 1} applied, patch level 1"));
    }
}

/// <summary>Writes a cpio "newc" archive (what the kernel's BootArchive reads).</summary>
public static class Cpio
{
    public static string Write(string dir, string name, IEnumerable<(string Name, byte[] Data)> files)
    {
        string path = Path.Combine(dir, name);
        using var s = File.Create(path);
        int ino = 1;
        foreach (var (n, d) in files.Append(("TRAILER!!!", Array.Empty<byte>())))
        {
            byte[] nameBytes = Encoding.ASCII.GetBytes(n + "\0");
            string header = "070701" + string.Concat(new[] { ino++, n == "TRAILER!!!" ? 0 : 0x81A4, 0, 0, 1, 0, d.Length, 0, 0, 0, 0, nameBytes.Length, 0 }
                .Select(v => v.ToString("x8")));
            s.Write(Encoding.ASCII.GetBytes(header));
            s.Write(nameBytes);
            Pad(s);
            s.Write(d);
            Pad(s);
        }
        return path;
    }

    private static void Pad(Stream s) { while (s.Position % 4 != 0) s.WriteByte(0); }
}
