using Molt.Testing;

namespace Molt.Tests
{
    internal static unsafe class RuntimeTests
    {
        public static void Register()
        {
            TestRunner.Add("runtime.smoke", &Smoke);
        }

        private static void Smoke(TestContext t)
        {
            t.Equal(4, 2 + 2, "arithmetic");
        }
    }
}
