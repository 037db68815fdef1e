using System.Globalization;
using Molt.QemuRunner;

namespace Molt.TestDriver;

/// <summary>The driver's command line, parsed once; <see cref="Usage"/> is what --help prints.</summary>
public sealed record DriverOptions
{
    /// <summary>Printed by --help and after a usage error.</summary>
    public const string Usage = """
        usage: molt-test [options]
        Runs Molt's host tests (dotnet test tests/Molt.Tests) and the in-kernel suite
        on each configuration in KernelConfiguration.All, then prints one closing line
        "N passed, N failed[, N skipped]". Exits 0 only if nothing failed.

          --filter TEXT    host tests whose full name contains TEXT, and in-kernel
                           tests whose name starts with TEXT (the kernel's test.filter=)
          --arch ARCH      x64, arm64 or all (default): which kernel configurations run
          --no-host        skip the host tests
          --no-kernel      skip the in-kernel suite
          --no-build       pass --no-build to dotnet test (make test has built it)
          --timeout SEC    time-out of one kernel boot (default 120)
          --root DIR       repository root (default: found from the current directory)
          --verbose        print every serial line and dotnet test's output
          -h, --help       this text
        """;

    /// <summary>Name filter for both suites; null runs everything.</summary>
    public string? Filter { get; init; }

    /// <summary>Only configurations of this architecture; null for all.</summary>
    public QemuArch? Arch { get; init; }

    /// <summary>Run the host xunit tests.</summary>
    public bool Host { get; init; } = true;

    /// <summary>Run the in-kernel suite.</summary>
    public bool Kernel { get; init; } = true;

    /// <summary>Pass --no-build to dotnet test.</summary>
    public bool NoBuild { get; init; }

    /// <summary>Time-out of one kernel boot.</summary>
    public TimeSpan KernelTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Repository root; null to search upward from the current directory.</summary>
    public string? Root { get; init; }

    /// <summary>Print all output, not just test lines and failures.</summary>
    public bool Verbose { get; init; }

    /// <summary>True when --help was given.</summary>
    public bool Help { get; init; }

    /// <summary>Parses arguments; throws <see cref="ArgumentException"/> with a message for bad ones.</summary>
    public static DriverOptions Parse(IReadOnlyList<string> args)
    {
        var o = new DriverOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            o = a switch
            {
                "-h" or "--help" => o with { Help = true },
                "--filter" => o with { Filter = NonEmpty(a, Value()) },
                "--arch" => o with { Arch = ParseArch(Value()) },
                "--no-host" => o with { Host = false },
                "--no-kernel" => o with { Kernel = false },
                "--no-build" => o with { NoBuild = true },
                "--timeout" => o with { KernelTimeout = ParseSeconds(Value()) },
                "--root" => o with { Root = NonEmpty(a, Value()) },
                "--verbose" or "-v" => o with { Verbose = true },
                _ => throw new ArgumentException($"unknown option '{a}'"),
            };
        }
        return o;
    }

    private static string NonEmpty(string option, string value) =>
        value.Length > 0 ? value : throw new ArgumentException($"{option} needs a non-empty value");

    private static QemuArch? ParseArch(string text)
    {
        if (text == "all") return null;
        return QemuArchNames.TryParse(text, out var arch) ? arch : throw new ArgumentException($"--arch: '{text}' is not x64, arm64 or all");
    }

    private static TimeSpan ParseSeconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"--timeout: '{text}' is not a positive number of seconds");
}
