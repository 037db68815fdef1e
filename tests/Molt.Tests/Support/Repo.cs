using Molt.QemuRunner;

namespace Molt.Tests.Support;

/// <summary>
/// Paths into the repository the tests run from: MOLT_ROOT when the driver
/// sets it, else the folder above the test binaries with bflat.props.
/// </summary>
public static class Repo
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The repository root.</summary>
    public static string Root => s_root.Value;

    /// <summary>build/&lt;arch&gt;/molt.elf under the root: the release kernel, without the in-kernel tests.</summary>
    public static string KernelElf(QemuArch arch = QemuArch.X64) => Path.Combine(Root, "build", arch.ToName(), "molt.elf");

    /// <summary>build/&lt;arch&gt;/molt-test.elf under the root: the test kernel, with the in-kernel tests and benchmarks.</summary>
    public static string TestKernelElf(QemuArch arch = QemuArch.X64) => Path.Combine(Root, "build", arch.ToName(), "molt-test.elf");

    /// <summary>
    /// The kernel a command line needs: the test kernel when it asks for the
    /// tests or the benchmarks (a word <c>test</c> or <c>bench</c>), else the release kernel.
    /// </summary>
    public static string KernelFor(QemuArch arch, string commandLine) =>
        commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(w => w is "test" or "bench") ? TestKernelElf(arch) : KernelElf(arch);

    /// <summary>Why kernel tests for <paramref name="arch"/> can't run here, or null if they can.</summary>
    public static string? KernelUnavailable(QemuArch arch = QemuArch.X64)
    {
        if (!File.Exists(KernelElf(arch)))
            return $"build/{arch.ToName()}/molt.elf is not built (run make ARCH={arch.ToName()})";
        if (!File.Exists(TestKernelElf(arch)))
            return $"build/{arch.ToName()}/molt-test.elf is not built (run make ARCH={arch.ToName()})";
        if (!QemuLocator.IsAvailable(arch))
            return $"{QemuLocator.BinaryName(arch)} is not installed (bash image/deps.sh)";
        return null;
    }

    private static string FindRoot()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("MOLT_ROOT");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "bflat.props"))) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "bflat.props")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no bflat.props above {AppContext.BaseDirectory}; set MOLT_ROOT");
    }
}
