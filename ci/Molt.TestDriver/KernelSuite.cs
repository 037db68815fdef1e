using Molt.QemuRunner;

namespace Molt.TestDriver;

/// <summary>
/// Boots one configuration with <c>test</c> and counts its PASS/FAIL lines,
/// printing each with the configuration's name in front. Beyond the test
/// lines it checks the run as a whole: a panic, a hang, an unexpected exit,
/// a missing or disagreeing <c>N passed, N failed</c> line each add one failure.
/// </summary>
public static class KernelSuite
{
    /// <summary>Runs <paramref name="config"/> and adds its counts to <paramref name="tally"/>.</summary>
    public static async Task RunAsync(KernelConfiguration config, DriverOptions options, string root, Tally tally)
    {
        string prefix = $"[{config.Name}]";
        string elf = Path.Combine(root, config.ElfPath);
        if (!File.Exists(elf))
        {
            Console.WriteLine($"{prefix} SKIP: {config.ElfPath} not built (make ARCH={config.Arch.ToName()})");
            tally.Add(0, 0, 1);
            return;
        }

        var run = new QemuRunOptions
        {
            Arch = config.Arch,
            KernelPath = elf,
            Cpus = config.Cpus,
            GicVersion = config.GicVersion,
            // No forwards: several suites (and other work on this machine) run at once, and host ports would collide.
            Nic = config.Nic ? QemuNic.UserRestricted() : null,
            CommandLine = options.Filter == null ? "test" : $"test test.filter={options.Filter}",
            Timeout = options.KernelTimeout,
        };
        QemuResult result;
        try
        {
            result = await QemuRunner.QemuRunner.RunAsync(run, line => Echo(prefix, line, options.Verbose));
        }
        catch (Exception e) when (e is QemuNotFoundException or FileNotFoundException or ArgumentException)
        {
            Console.WriteLine($"{prefix} FAIL suite: {e.Message}");
            tally.Add(0, 1);
            return;
        }

        int passed = result.Tests.Count(t => t.Passed);
        int failed = result.Tests.Count - passed;
        var problems = SuiteProblems(result, passed, failed, options.Filter != null).ToList();
        foreach (var p in problems)
            Console.WriteLine($"{prefix} FAIL suite: {p}");
        if (problems.Count > 0 || result.Outcome is not (QemuOutcome.Passed or QemuOutcome.Failed))
            Console.WriteLine(Indent(result.Describe(headline: false)));
        Console.WriteLine($"{prefix} {passed} passed, {failed} failed in {result.Duration.TotalSeconds:0.00} s");
        tally.Add(passed, failed + problems.Count);
    }

    /// <summary>What is wrong with the run beyond its failed tests; empty for a clean run.</summary>
    public static IEnumerable<string> SuiteProblems(QemuResult result, int passed, int failed, bool filtered)
    {
        switch (result.Outcome)
        {
            case QemuOutcome.Passed:
            case QemuOutcome.Failed when failed > 0:
                break;
            default:
                yield return $"{result.Outcome}: {result.Reason}";
                yield break;
        }
        if (result.Counts is not { } counts)
            yield return "the kernel printed no \"N passed, N failed\" line";
        else if (counts.Passed != passed || counts.Failed != failed)
            yield return $"the kernel counted {counts.Passed} passed, {counts.Failed} failed but printed {passed} PASS and {failed} FAIL lines";
        else if (passed + failed == 0 && !filtered)
            yield return "the in-kernel suite ran no test";
    }

    // Test lines and the suite's summary are always shown; other serial output only with --verbose.
    private static void Echo(string prefix, string line, bool verbose)
    {
        if (verbose || line.StartsWith("PASS ", StringComparison.Ordinal) || line.StartsWith("FAIL ", StringComparison.Ordinal))
            Console.WriteLine($"{prefix} {line}");
    }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => "    " + l));
}
