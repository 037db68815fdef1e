using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Runner;

/// <summary>SerialOutput.Parse on text captured from real boots.</summary>
public class SerialOutputTests
{
    private static SerialOutput Parse(string text) => SerialOutput.Parse(text.Split('\n'));

    private const string TestRun = "\r\nMolt x86_64 booting\r\n[    0.016530] test: 3 tests registered\r\n" +
        "PASS runtime.smoke\r\nFAIL heap.free: freed block not reused (expected 1, got 0)\r\nPASS heap.alloc\r\n" +
        "FAIL odd:name\r\n[    0.016980] test: ran in 0 ms\r\n2 passed, 2 failed\r\n";

    private const string NullPanic = """
        [    0.014931] fault: triggering deliberate fault 'null'

        PANIC: NullReferenceException: read of address 0x8
          vector 14 (#PF page fault), error code 0x0, cr2 0x0000000000000008
          rip molt_Molt_Testing_Faults__Trigger+0x21f (0xffffffff8020263f)
        Backtrace:
          #00 molt_Molt_Kernel__Start+0x6fd (0xffffffff802022fd)
          #01 ? (0xffffffff80405989)
          #02 enter_kernel+0x2f (0xffffffff8020018b)
        System halted.
        """;

    [Fact]
    public void Reads_pass_and_fail_lines_in_order_with_reasons()
    {
        var s = Parse(TestRun);
        Assert.Equal(
            [
                new KernelTestResult("runtime.smoke", true, null),
                new KernelTestResult("heap.free", false, "freed block not reused (expected 1, got 0)"),
                new KernelTestResult("heap.alloc", true, null),
                new KernelTestResult("odd:name", false, ""),
            ],
            s.Tests);
        Assert.Equal(new KernelTestCounts(2, 2), s.Counts);
        Assert.Null(s.PanicReason);
        Assert.False(s.Ready);
    }

    [Fact]
    public void Reads_a_panic_its_backtrace_and_the_halt()
    {
        var s = Parse(NullPanic);
        Assert.Equal("NullReferenceException: read of address 0x8", s.PanicReason);
        Assert.Equal(3, s.Backtrace.Count);
        Assert.Equal(new BacktraceFrame(0, "molt_Molt_Kernel__Start", 0x6fd, 0xffffffff802022fd), s.Backtrace[0]);
        Assert.Equal(new BacktraceFrame(1, null, 0, 0xffffffff80405989), s.Backtrace[1]);
        Assert.Equal("enter_kernel", s.Backtrace[2].Symbol);
        Assert.True(s.Halted);
        Assert.Empty(s.Tests);
        Assert.Null(s.Counts);
    }

    [Fact]
    public void Keeps_the_first_panic_when_a_second_one_follows()
    {
        var s = Parse("PANIC: first\nBacktrace:\n  #00 f+0x1 (0x10)\nPANIC: second\nBacktrace:\n  #00 g+0x1 (0x20)\n");
        Assert.Equal("first", s.PanicReason);
        Assert.Equal("f", Assert.Single(s.Backtrace).Symbol);
    }

    [Fact]
    public void Reads_the_ready_lines()
    {
        var s = Parse("[    0.016934] boot: Molt ready in 16 ms\r\nMolt ready\r\n[    0.017189] heap: 32 bytes in use\r\n");
        Assert.True(s.Ready);
        Assert.Equal(16, s.BootMilliseconds);
    }

    [Theory]
    [InlineData("PASS")]
    [InlineData("PASS two words")]
    [InlineData("  PASS indented")]
    [InlineData("1 passed, 0 failed, extra")]
    [InlineData("xPANIC: not at the start")]
    public void Ignores_lines_that_only_look_like_results(string line)
    {
        var s = Parse(line);
        Assert.Empty(s.Tests);
        Assert.Null(s.Counts);
        Assert.Null(s.PanicReason);
    }

    [Fact]
    public void Survives_garbage_and_huge_numbers()
    {
        var s = Parse("99999999999999999999 passed, 1 failed\n\0\u00ff\nBacktrace:\n  #99999999999 f+0xffffffffffffffffff (0x1)\n");
        Assert.Equal(int.MaxValue, s.Counts!.Passed);
        Assert.Single(s.Backtrace);
    }
}
