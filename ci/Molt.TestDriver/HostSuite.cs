namespace Molt.TestDriver;

/// <summary>
/// Runs the host xunit tests (tests/Molt.Tests) through dotnet test and
/// counts them from the TRX report. A run that produced no report (a build
/// error, a crashed test host) counts as one failure with dotnet's output shown.
/// </summary>
public static class HostSuite
{
    /// <summary>Prefix of this suite's output lines.</summary>
    public const string Prefix = "[host]";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(20);

    /// <summary>Runs the suite and adds its counts to <paramref name="tally"/>.</summary>
    public static async Task RunAsync(DriverOptions options, string root, Tally tally)
    {
        string results = Path.Combine(root, "build", "test-results");
        string trx = Path.Combine(results, "host.trx");
        Directory.CreateDirectory(results);
        File.Delete(trx);

        var args = new List<string>
        {
            "test", Path.Combine(root, "tests", "Molt.Tests"), "-c", "Release", "--nologo",
            "--logger", "trx;LogFileName=host.trx", "--results-directory", results,
        };
        if (options.NoBuild) args.Add("--no-build");
        if (options.Filter != null) args.AddRange(["--filter", $"FullyQualifiedName~{options.Filter}"]);

        Console.WriteLine($"{Prefix} dotnet {string.Join(' ', args.Select(a => a.Contains(' ') || a.Contains(';') ? $"\"{a}\"" : a))}");
        var env = new Dictionary<string, string> { ["MOLT_ROOT"] = root, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        var run = await ChildProcess.RunAsync(DotnetHost(), args, root, env, Timeout,
            options.Verbose ? line => Console.WriteLine($"{Prefix} | {line}") : null);

        if (!File.Exists(trx))
        {
            Console.WriteLine($"{Prefix} FAIL dotnet test: no test report (exit {run.ExitCode?.ToString() ?? "killed"}); its output:");
            if (!options.Verbose) PrintIndented(run.Output);
            tally.Add(0, 1);
            return;
        }

        var tests = TrxReport.Parse(File.ReadAllText(trx));
        int passed = 0, failed = 0, skipped = 0;
        foreach (var t in tests.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            switch (t.Outcome)
            {
                case TrxReport.TestOutcome.Passed:
                    passed++;
                    Console.WriteLine($"{Prefix} PASS {t.Name}");
                    break;
                case TrxReport.TestOutcome.Skipped:
                    skipped++;
                    Console.WriteLine($"{Prefix} SKIP {t.Name}: {FirstLine(t.Message) ?? "skipped"}");
                    break;
                default:
                    failed++;
                    Console.WriteLine($"{Prefix} FAIL {t.Name}: {FirstLine(t.Message) ?? "failed"}");
                    if (t.Message != null && t.Message.Contains('\n')) PrintIndented(t.Message);
                    break;
            }
        }
        // dotnet test failing while every reported test passed means something outside the tests broke.
        if (run.ExitCode != 0 && failed == 0)
        {
            Console.WriteLine($"{Prefix} FAIL dotnet test: exit {run.ExitCode?.ToString() ?? "killed"} although no test failed; its output:");
            if (!options.Verbose) PrintIndented(run.Output);
            failed++;
        }
        Console.WriteLine($"{Prefix} {passed} passed, {failed} failed, {skipped} skipped");
        tally.Add(passed, failed, skipped);
    }

    // Run dotnet test with the same dotnet that runs this driver, when it is one.
    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0].TrimEnd('\r');

    private static void PrintIndented(string text)
    {
        foreach (var line in text.TrimEnd().Split('\n'))
            Console.WriteLine($"{Prefix}   {line.TrimEnd('\r')}");
    }
}
