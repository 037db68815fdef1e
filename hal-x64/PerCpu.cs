using System.Runtime.InteropServices;
using Molt.Smp;

namespace Molt.Hal
{
    public static unsafe partial class PerCpu
    {
        [DllImport("*"), SuppressGCTransition] private static extern void molt_percpu_install(CpuLocal* block);
        [DllImport("*"), SuppressGCTransition] private static extern CpuLocal* molt_percpu_current();

        public static partial void Install(CpuLocal* block) => molt_percpu_install(block);
        public static partial CpuLocal* Current() => molt_percpu_current();
    }
}
