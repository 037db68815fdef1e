using Molt.Boot;
using Molt.Console;
using Molt.Time;

namespace Molt.Testing
{
    /// <summary>A registered in-kernel test: a name (subsystem.what) and a function.</summary>
    public unsafe struct TestCase
    {
        public string Name;
        public delegate*<TestContext, void> Body;
    }

    /// <summary>
    /// What a test uses to check things. The first failed check records its
    /// reason and the test ends as failed when it returns; later checks are
    /// ignored so the first cause is the one reported.
    /// </summary>
    public sealed class TestContext
    {
        internal bool Failed;
        internal string Reason;
        internal long Expected, Actual;
        internal bool HasValues;

        public bool True(bool condition, string what)
        {
            if (!condition && !Failed) { Failed = true; Reason = what; }
            return condition;
        }

        public bool Equal(long expected, long actual, string what)
        {
            if (expected != actual && !Failed)
            {
                Failed = true; Reason = what; Expected = expected; Actual = actual; HasValues = true;
            }
            return expected == actual;
        }

        public bool Equal(ulong expected, ulong actual, string what) => Equal((long)expected, (long)actual, what);

        public bool Equal(string expected, string actual, string what)
        {
            bool same = string.Equals(expected, actual);
            if (!same && !Failed) { Failed = true; Reason = what; }
            return same;
        }

        public void Fail(string why) => True(false, why);
    }

    /// <summary>
    /// Runs the registered tests (see <see cref="AllTests"/>) in order and
    /// prints one line each, <c>PASS name</c> or <c>FAIL name: why</c>,
    /// then <c>N passed, N failed</c>. With <c>test.filter=prefix</c> only
    /// tests whose names start with the prefix run. Returns the failure count.
    /// </summary>
    public static unsafe class TestRunner
    {
        public const int MaxTests = 512;
        private static TestCase[] s_tests;
        private static int s_count;

        public static void Add(string name, delegate*<TestContext, void> body)
        {
            if (s_tests == null) s_tests = new TestCase[MaxTests];
            if (s_count >= MaxTests) Diagnostics.Panic.Fail("too many tests: raise TestRunner.MaxTests");
            s_tests[s_count].Name = name;
            s_tests[s_count].Body = body;
            s_count++;
        }

        public static int RunAll(CommandLine cmd)
        {
            AllTests.Register();
            byte* filter; int filterLength;
            bool filtered = cmd.TryGet("test.filter", out filter, out filterLength);
            Log.Info("test", $"{s_count} tests registered");
            int passed = 0, failed = 0;
            ulong start = Clock.NanosecondsSinceBoot();
            for (int i = 0; i < s_count; i++)
            {
                if (filtered && !StartsWith(s_tests[i].Name, filter, filterLength)) continue;
                var context = new TestContext();
                s_tests[i].Body(context);
                if (context.Failed)
                {
                    failed++;
                    KernelConsole.Write("FAIL ");
                    KernelConsole.Write(s_tests[i].Name);
                    KernelConsole.Write(": ");
                    KernelConsole.Write(context.Reason);
                    if (context.HasValues)
                    {
                        KernelConsole.Write(" (expected ");
                        KernelConsole.WriteDecimal(context.Expected);
                        KernelConsole.Write(", got ");
                        KernelConsole.WriteDecimal(context.Actual);
                        KernelConsole.Write(')');
                    }
                    KernelConsole.Write('\n');
                }
                else
                {
                    passed++;
                    KernelConsole.Write("PASS ");
                    KernelConsole.WriteLine(s_tests[i].Name);
                }
                Memory.Heap.Free(context);
            }
            Log.Info("test", $"ran in {(Clock.NanosecondsSinceBoot() - start) / 1000000} ms");
            KernelConsole.WriteDecimal(passed);
            KernelConsole.Write(" passed, ");
            KernelConsole.WriteDecimal(failed);
            KernelConsole.Write(" failed\n");
            return failed;
        }

        private static bool StartsWith(string name, byte* prefix, int length)
        {
            if (name.Length < length) return false;
            for (int i = 0; i < length; i++) if (name[i] != prefix[i]) return false;
            return true;
        }
    }
}
