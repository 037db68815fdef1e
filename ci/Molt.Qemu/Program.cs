using System.Diagnostics;
using Molt.Qemu;
using Molt.QemuRunner;

try
{
    var o = ToolOptions.Parse(args);
    if (o.Help) { Console.WriteLine(ToolOptions.Usage); return 0; }
    return o.Mode == ToolMode.Bench ? await Bench.RunAsync(o) : Interactive.Run(o);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"molt-qemu: {e.Message}\n\n{ToolOptions.Usage}");
    return 2;
}
catch (Exception e) when (e is FileNotFoundException or QemuNotFoundException)
{
    Console.Error.WriteLine($"molt-qemu: {e.Message}");
    return 2;
}

namespace Molt.Qemu
{
    /// <summary>run and debug: QEMU on this terminal (its stdin too, for Ctrl-A X), then what its exit status means.</summary>
    public static class Interactive
    {
        public static int Run(ToolOptions o)
        {
            var options = o.ToRunOptions();
            var args = QemuCommandLine.Build(options);
            string qemu = QemuLocator.Locate(options.Arch, options.QemuBinary);
            if (o.Mode == ToolMode.Debug)
                Console.WriteLine($"QEMU waits for gdb: gdb {o.Kernel} -ex 'target remote :1234'");
            else
                Console.WriteLine($"booting Molt ({o.Arch.ToName()}) in QEMU; quit with Ctrl-A X");
            var psi = new ProcessStartInfo(qemu) { UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var process = Process.Start(psi)!;
            process.WaitForExit();
            int status = process.ExitCode;
            QemuOutcome outcome = ExitStatus.Decode(o.Arch, status);
            string meaning = outcome switch
            {
                QemuOutcome.Passed => "the kernel exited with pass",
                QemuOutcome.Failed => "the kernel exited with tests failed",
                QemuOutcome.Panicked => "the kernel panicked",
                _ => "not an exit the kernel asked for (QEMU quit, reset or failed)",
            };
            Console.WriteLine($"molt-qemu: QEMU status {status}: {meaning}");
            return outcome is QemuOutcome.Failed or QemuOutcome.Panicked ? 1 : 0;
        }
    }

    /// <summary>bench: one boot with "bench"; the rows are the BENCH lines' JSON (docs/benchmarks.md).</summary>
    public static class Bench
    {
        public const string Prefix = "BENCH ";

        public static async Task<int> RunAsync(ToolOptions o)
        {
            var options = o.ToRunOptions();
            Console.WriteLine($"benchmarks: {o.Arch.ToName()} on {o.Cpus} CPUs under {QemuLocator.BinaryName(o.Arch)}, time-out {o.TimeoutSeconds} s");
            var r = await QemuRunner.QemuRunner.RunAsync(options, line =>
            {
                if (!line.StartsWith(Prefix, StringComparison.Ordinal)) Console.WriteLine(line);
            });
            var rows = Rows(r.SerialLines);
            string where = o.LogPath != null ? $" (console in {o.LogPath})" : "";
            if (o.LogPath != null) await File.WriteAllLinesAsync(o.LogPath, r.SerialLines);
            if (o.JsonPath != null) await File.WriteAllLinesAsync(o.JsonPath, rows);
            string? failure = Failure(r, rows.Count, o.TimeoutSeconds);
            if (failure != null)
            {
                Console.WriteLine($"bench: FAILED: {failure}{where}");
                return 1;
            }
            Console.WriteLine($"bench: {rows.Count} results{(o.JsonPath != null ? $" in {o.JsonPath}" : "")}");
            return 0;
        }

        /// <summary>The JSON of every BENCH line, in order.</summary>
        public static List<string> Rows(IEnumerable<string> serial) =>
            serial.Where(l => l.StartsWith(Prefix, StringComparison.Ordinal)).Select(l => l[Prefix.Length..]).ToList();

        /// <summary>Why a benchmark run failed, or null: a panic, a time-out, another exit than pass, or no rows.</summary>
        public static string? Failure(QemuResult r, int rows, int timeoutSeconds) => r.Outcome switch
        {
            QemuOutcome.Panicked => "the kernel panicked" + (r.PanicReason != null ? $": {r.PanicReason}" : ""),
            QemuOutcome.TimedOut => $"no exit within {timeoutSeconds} s",
            QemuOutcome.Passed when rows == 0 => "no BENCH lines",
            QemuOutcome.Passed => null,
            _ => $"{r.Reason} (QEMU status {r.ExitStatus?.ToString() ?? "none"})",
        };
    }
}
