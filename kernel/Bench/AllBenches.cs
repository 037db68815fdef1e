namespace Molt.Bench
{
    /// <summary>The list of benchmark groups, in the order they run. Add one line per file.</summary>
    internal static class AllBenches
    {
        public static void Register()
        {
            BaselineBenches.Register();
            HeapBenches.Register();
            SchedulerBenches.Register();
            SyncBenches.Register();
            Molt.Update.Bench.UpdateBenches.Register();
            Molt.Update.Bench.TrustBenches.Register();
            Molt.Update.Bench.LinkerBenches.Register();
        }
    }
}
