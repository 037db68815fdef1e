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
            Molt.Tests.AcpiTests.Register();
            Molt.Tests.ObjectModelTests.Register();
            Molt.Tests.DispatchTests.Register();
            Molt.Tests.CastTests.Register();
            Molt.Tests.BoxingTests.Register();
            Molt.Tests.StringTests.Register();
            Molt.Tests.SpanTests.Register();
            Molt.Tests.StaticsTests.Register();
            Molt.Tests.DelegateTests.Register();
            Molt.Tests.HeapTests.Register();
            Molt.Tests.FrameTests.Register();
            Molt.Tests.PagingTests.Register();
            Molt.Tests.CommandLineTests.Register();
            Molt.Tests.SymbolTests.Register();
            Molt.Tests.SmpTests.Register();
            Molt.Tests.InterruptTests.Register();
            Molt.Update.Tests.UpdateTests.Register();
        }
    }
}
