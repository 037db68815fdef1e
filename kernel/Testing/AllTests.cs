namespace Molt.Testing
{
    /// <summary>The list of test groups. Add one line per test file.</summary>
    internal static class AllTests
    {
        public static void Register()
        {
            Molt.Tests.RuntimeTests.Register();
            Molt.Tests.HalTests.Register();
            Molt.Tests.DeviceTreeTests.Register();
        }
    }
}
