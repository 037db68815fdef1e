using System.Diagnostics;
using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The README's demo, as written: each line of its demo block runs in a
/// shell in the tree against a booted release kernel (the only changes: the
/// forwarded ports, the arch, and a private output path), must exit 0, and
/// must print what its "# expected" comment says (the words before any
/// parenthesis). So the README cannot drift from what Molt does.
/// </summary>
public class ReadmeDemoSystemTests
{
    /// <summary>The demo block's lines, between the README's demo markers.</summary>
    public static IReadOnlyList<string> DemoLines()
    {
        string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        int start = readme.IndexOf("<!-- demo:", StringComparison.Ordinal);
        int end = readme.IndexOf("<!-- end demo -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md has no demo block");
        string block = readme[start..end];
        int open = block.IndexOf("```", StringComparison.Ordinal), close = block.LastIndexOf("```", StringComparison.Ordinal);
        return block[(open + 3)..close].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    [Fact]
    public void The_demo_block_pushes_checks_and_rolls_back()
    {
        var lines = DemoLines();
        Assert.Contains(lines, l => l.StartsWith("build/host/molt push", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("build/host/molt rollback", StringComparison.Ordinal));
        Assert.True(lines.Count(l => l.Contains('#')) >= 6, "the demo checks too little");
    }

    private static async Task RunDemo(QemuArch arch)
    {
        await using var kernel = await RunningKernel.BootAsync(arch);
        string bundle = Path.Combine(Path.GetTempPath(), $"molt-demo-{Guid.NewGuid():N}.bundle");
        try
        {
            foreach (string line in DemoLines())
            {
                int hash = line.IndexOf('#');
                string command = (hash < 0 ? line : line[..hash]).Trim();
                string expected = hash < 0 ? "" : Regex.Replace(line[(hash + 1)..], @"\(.*$", "").Trim();
                command = command
                    .Replace("localhost:8080", $"127.0.0.1:{kernel.KvPort}")
                    .Replace("--arch x64", $"--arch {arch.ToName()}")
                    .Replace("build/fix.bundle", bundle);
                if (Regex.IsMatch(command, @"^build/host/molt (push|status|rollback)\b")) command += $" --to {kernel.UpdateAddress}";
                var (exit, output) = await Shell(command);
                Assert.True(exit == 0, $"{arch}: `{command}` exited {exit}:\n{output}\n--- kernel:\n{kernel.Log}");
                Assert.True(output.Contains(expected, StringComparison.Ordinal), $"{arch}: `{command}` did not print '{expected}':\n{output}\n--- kernel:\n{kernel.Log}");
            }
        }
        finally { File.Delete(bundle); }
    }

    private static async Task<(int, string)> Shell(string command)
    {
        var psi = new ProcessStartInfo("bash", ["-c", command + " 2>&1"]) { WorkingDirectory = Repo.Root, RedirectStandardOutput = true };
        psi.Environment["MOLT_ROOT"] = Repo.Root;
        using var p = Process.Start(psi)!;
        var read = p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await read);
    }

    [KernelFact]
    public Task X64_the_readme_demo_works_as_written() => RunDemo(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_the_readme_demo_works_as_written() => RunDemo(QemuArch.Arm64);
}
