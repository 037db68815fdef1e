using Molt.Qemu;
using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Runner;

/// <summary>
/// molt-qemu (ci/Molt.Qemu), what make run, debug and bench call: its command
/// line, the QEMU arguments it takes from QemuCommandLine (the ones make test
/// boots with), and how bench judges a run.
/// </summary>
public class MoltQemuToolTests
{
    [Fact]
    public void Run_options_become_the_typed_QEMU_options()
    {
        var o = ToolOptions.Parse(["run", "--arch", "arm64", "--kernel", "k.elf", "--cpus", "4", "--gic", "2", "--cmdline", "test test.filter=smp."]);
        Assert.Equal(ToolMode.Run, o.Mode);
        var q = o.ToRunOptions();
        Assert.Equal(QemuArch.Arm64, q.Arch);
        Assert.Equal("k.elf", q.KernelPath);
        Assert.Equal(4, q.Cpus);
        Assert.Equal(2, q.GicVersion);
        Assert.Equal("test test.filter=smp.", q.CommandLine);
        Assert.Empty(q.ExtraArgs);
    }

    [Fact]
    public void Debug_adds_the_gdb_stub_and_bench_writes_its_own_command_line()
    {
        Assert.Equal(["-s", "-S"], ToolOptions.Parse(["debug", "--arch", "x64", "--kernel", "k.elf"]).ToRunOptions().ExtraArgs);
        var bench = ToolOptions.Parse(["bench", "--arch", "x64", "--kernel", "k.elf", "--filter", "heap.", "--timeout", "30"]);
        Assert.Equal("bench bench.filter=heap.", bench.ToRunOptions().CommandLine);
        Assert.Equal(TimeSpan.FromSeconds(30), bench.ToRunOptions().Timeout);
        Assert.Equal("bench", ToolOptions.Parse(["bench", "--arch", "x64", "--kernel", "k.elf"]).KernelCommandLine);
    }

    [Theory]
    [InlineData(new string[0], "missing the mode")]
    [InlineData(new[] { "boot", "--arch", "x64", "--kernel", "k" }, "unknown mode 'boot'")]
    [InlineData(new[] { "run", "--kernel", "k" }, "--arch is required")]
    [InlineData(new[] { "run", "--arch", "riscv", "--kernel", "k" }, "--arch riscv")]
    [InlineData(new[] { "run", "--arch", "x64" }, "--kernel is required")]
    [InlineData(new[] { "run", "--arch", "x64", "--kernel", "k", "--cpus", "0" }, "--cpus 0")]
    [InlineData(new[] { "run", "--arch", "x64", "--kernel", "k", "--cpus" }, "--cpus needs a value")]
    [InlineData(new[] { "run", "--arch", "x64", "--kernel", "k", "--fast" }, "unknown option '--fast'")]
    [InlineData(new[] { "bench", "--arch", "x64", "--kernel", "k", "--cmdline", "x" }, "use --filter")]
    public void Bad_command_lines_are_usage_errors_naming_the_argument(string[] args, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ToolOptions.Parse(args));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Bench_rows_are_the_BENCH_lines_json_and_a_run_without_them_fails()
    {
        string[] serial = ["Molt x86_64 booting", "BENCH {\"name\":\"a\"}", "table", "BENCH {\"name\":\"b\"}"];
        Assert.Equal(["{\"name\":\"a\"}", "{\"name\":\"b\"}"], Bench.Rows(serial));
        var passed = Result(QemuOutcome.Passed, serial);
        Assert.Null(Bench.Failure(passed, 2, 300));
        Assert.Equal("no BENCH lines", Bench.Failure(passed, 0, 300));
        Assert.Equal("no exit within 300 s", Bench.Failure(Result(QemuOutcome.TimedOut, serial), 2, 300));
        Assert.StartsWith("the kernel panicked", Bench.Failure(Result(QemuOutcome.Panicked, serial), 2, 300));
    }

    private static QemuResult Result(QemuOutcome outcome, string[] serial) => new()
    {
        Options = new QemuRunOptions { KernelPath = "k.elf" },
        CommandLine = ["qemu"],
        SerialLines = serial,
        StandardError = "",
        Outcome = outcome,
        Reason = outcome.ToString(),
        Serial = SerialOutput.Parse(serial),
    };
}
