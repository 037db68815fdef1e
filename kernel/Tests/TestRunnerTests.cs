using Molt.Testing;
using Molt.Threading;

namespace Molt.Tests
{
    /// <summary>
    /// The runner itself. <c>testing.hang</c> never returns: it is registered
    /// only with <c>test.hang</c> on the command line, for the host test that
    /// checks the time-out report (tests/Molt.Tests/SystemTests/TestRunnerTimeoutTests.cs).
    /// </summary>
    internal static unsafe class TestRunnerTests
    {
        public static void Register()
        {
            if (Kernel.CommandLine.Has("test.hang")) TestRunner.Add("testing.hang", &Hang);
            TestRunner.Add("testing.own_thread", &RunsOnItsOwnThread);
        }

        private static void Hang(TestContext t)
        {
            while (true) { }
        }

        private static void RunsOnItsOwnThread(TestContext t)
        {
            Thread self = Scheduler.Current;
            t.True(!self.IsIdle, "not the idle thread");
            t.Equal(0, Scheduler.CurrentCpu, "on the boot CPU, as the runner");
            t.True(!Operations.InOperation, "outside an operation, as the boot thread");
        }
    }
}
