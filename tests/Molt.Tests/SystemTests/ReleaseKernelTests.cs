using Molt.QemuRunner;
using Molt.Image;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The two kernels <c>make</c> builds per architecture: the release kernel
/// (molt.elf, what run, iso and usb ship) has none of the in-kernel tests or
/// benchmarks, the test kernel (molt-test.elf) has them all. The split is a
/// folder rule in the Makefile: anything under Tests/, Bench/ or Testing/.
/// </summary>
public class ReleaseKernelTests
{
    private static readonly string[] TestOnlyPrefixes = ["molt_Molt_Testing_", "molt_Molt_Tests_", "molt_Molt_Bench_", "molt_Molt_Update_Tests_", "molt_Molt_Update_Bench_"];

    [KernelFact]
    public void On_x64_the_release_kernel_has_no_test_code_and_the_test_kernel_has_the_runner() => ReleaseHasNoTestCode(QemuArch.X64);

    [Arm64KernelFact]
    public void On_arm64_the_release_kernel_has_no_test_code_and_the_test_kernel_has_the_runner() => ReleaseHasNoTestCode(QemuArch.Arm64);

    private static void ReleaseHasNoTestCode(QemuArch arch)
    {
        string release = Repo.KernelElf(arch), test = Repo.TestKernelElf(arch);
        var releaseSymbols = ElfSymbols.Read(File.ReadAllBytes(release), release);
        var testSymbols = ElfSymbols.Read(File.ReadAllBytes(test), test);
        Assert.Contains(releaseSymbols, s => s.Name == "molt_Molt_Kernel__Start");
        var leaked = releaseSymbols.Where(s => TestOnlyPrefixes.Any(p => s.Name.StartsWith(p, StringComparison.Ordinal))).Select(s => s.Name).Take(5).ToList();
        Assert.True(leaked.Count == 0, $"{release} holds test code: {string.Join(", ", leaked)}");
        Assert.Contains(testSymbols, s => s.Name == "molt_Molt_Testing_TestRunner__RunAll");
        Assert.True(new FileInfo(release).Length < new FileInfo(test).Length, "the release kernel is not smaller than the test kernel");
    }

    [KernelTheory]
    [InlineData("test")]
    [InlineData("bench")]
    public async Task The_release_kernel_asked_for_tests_says_where_they_are(string mode)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.X64,
            KernelPath = Repo.KernelElf(QemuArch.X64),
            CommandLine = mode,
            Timeout = TimeSpan.FromSeconds(30),
        });
        Assert.True(r.Outcome == QemuOutcome.Panicked, r.Describe());
        Assert.Contains("molt-test.elf", r.PanicReason);
    }
}
