using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The kernel's command-line check (kernel/Boot/Options.cs): unknown words
/// and invalid values are each reported with the word and the value, and
/// the kernel still boots on the defaults.
/// </summary>
public class CommandLineOptionTests
{
    [Theory, OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task Invalid_values_are_warned_about_naming_the_value_and_ignored(QemuArch arch)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = Repo.KernelElf(arch),
            CommandLine = "exit smp=abc smp=0 ltt=bogus tset",
            Cpus = 2,
            Timeout = TimeSpan.FromSeconds(60),
        });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        string[] warnings = r.SerialLines.Where(l => l.Contains("boot: warning: ")).ToArray();
        Assert.Contains(warnings, l => l.EndsWith("command-line option smp=abc: 'abc' is not a number (1..64): ignored"));
        Assert.Contains(warnings, l => l.EndsWith("command-line option smp=0: 0 is outside 1..64: ignored"));
        Assert.Contains(warnings, l => l.EndsWith("command-line option ltt=bogus: 'bogus' is not one of window|block: ignored"));
        Assert.Contains(warnings, l => l.Contains("unknown command-line option 'tset' ignored (known: test, test.filter=,") && l.Contains("smp=, ltt=,") && l.Contains("patch.apply="));
        Assert.Equal(4, warnings.Length);
        // The invalid smp= values are ignored: both CPUs come up.
        Assert.Contains(r.SerialLines, l => l.EndsWith("smp: 2 CPUs online"));
    }
}
