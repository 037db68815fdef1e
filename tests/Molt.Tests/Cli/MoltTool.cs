using System.Diagnostics;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.Cli;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>A failure: non-zero, and exactly one stderr line "molt: error: ...".</summary>
    public string AssertOneLineError()
    {
        Assert.True(ExitCode != 0, ToString());
        string[] lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, ToString());
        Assert.StartsWith("molt: error: ", lines[0]);
        return lines[0];
    }
}

/// <summary>
/// Runs the molt tool as a process, as a user would. The test project
/// builds tools/Molt.Cli (a project reference without its assembly), so
/// its molt.dll sits in the same configuration's bin folder.
/// </summary>
public static class MoltTool
{
    public static string Dll
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            string dll = Path.Combine(Repo.Root, "tools", "Molt.Cli", "bin", config, "net10.0", "molt.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is not built (dotnet build tests/Molt.Tests builds it)");
            return dll;
        }
    }

    public static ToolResult Run(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["MOLT_ROOT"] = Repo.Root;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(180)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("molt " + string.Join(' ', args) + " did not finish in 180 s");
        }
        return new ToolResult(p.ExitCode, output.Result, err.Result);
    }

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "molt-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}

/// <summary>Skips unless build/x64/molt.dll and molt.elf are built (make ARCH=x64).</summary>
public sealed class KernelBuildFactAttribute : FactAttribute
{
    public KernelBuildFactAttribute() => Skip = KernelBuildMissing();

    public static string? KernelBuildMissing()
    {
        foreach (string f in new[] { "molt.dll", "molt.elf" })
            if (!File.Exists(Path.Combine(Repo.Root, "build", "x64", f)))
                return $"build/x64/{f} is not built (run make ARCH=x64): patch builds compile against it";
        return null;
    }
}

public sealed class KernelBuildTheoryAttribute : TheoryAttribute
{
    public KernelBuildTheoryAttribute() => Skip = KernelBuildFactAttribute.KernelBuildMissing();
}
