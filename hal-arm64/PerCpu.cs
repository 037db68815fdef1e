using System.Runtime.InteropServices;
using Molt.Smp;

namespace Molt.Hal
{
    /// <summary>
    /// TPIDR_EL1 holds this CPU's CpuLocal*. Reading it is one mrs; the block's
    /// Self word is the same value, so the register is returned as is.
    /// Nothing else uses TPIDR_EL1 (there is no EL0 code).
    /// </summary>
    public static unsafe partial class PerCpu
    {
        [DllImport("*"), SuppressGCTransition] private static extern void molt_percpu_install(CpuLocal* block);
        [DllImport("*"), SuppressGCTransition] private static extern CpuLocal* molt_percpu_current();

        public static partial void Install(CpuLocal* block) => molt_percpu_install(block);
        public static partial CpuLocal* Current() => molt_percpu_current();
    }
}
