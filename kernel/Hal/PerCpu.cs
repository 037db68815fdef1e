namespace Molt.Hal
{
    /// <summary>The per-CPU base register (GS base on x86-64, TPIDR_EL1 on AArch64).</summary>
    public static unsafe partial class PerCpu
    {
        /// <summary>Points this CPU's base register at <paramref name="block"/>, whose first word is its own address.</summary>
        public static partial void Install(Smp.CpuLocal* block);

        /// <summary>This CPU's block: a load through the base register. Valid once Install ran on this CPU.</summary>
        public static partial Smp.CpuLocal* Current();
    }
}
