using System.Diagnostics;
using System.Text;

namespace Molt.TestDriver;

/// <summary>
/// Runs a tool (dotnet test) with its output captured and a time-out that
/// kills the whole process tree (dotnet test starts a test host), so a hung
/// test run ends the driver instead of CI's own much longer limit.
/// </summary>
public static class ChildProcess
{
    /// <summary>What a finished (or killed) child left behind.</summary>
    /// <param name="ExitCode">Its exit code; null if it was killed at the time-out.</param>
    /// <param name="Output">stdout and stderr interleaved as lines arrived.</param>
    public sealed record Result(int? ExitCode, string Output);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;

        var output = new StringBuilder();
        void Line(string? line)
        {
            if (line == null) return;
            lock (output) output.Append(line).Append('\n');
            onLine?.Invoke(line);
        }
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit(5000);
            Line($"molt-test: {Path.GetFileName(file)} killed after {timeout.TotalSeconds:0} s");
            lock (output) return new Result(null, output.ToString());
        }
        lock (output) return new Result(process.ExitCode, output.ToString());
    }
}
