// A second test patch, compiled against the kernel AND the first patch
// (tests/patches/linkprobe2/refs): it links only when linkprobe is loaded,
// which tests that a patch's exports serve later patches (docs/linker.md).
using System.Runtime.CompilerServices;
using LinkProbePatch;
using Molt.Update.Tests;

namespace LinkProbe2Patch
{
    public static class Entry2
    {
        /// <summary>Type-tests against the first patch's class and calls its override: 2 (Kind) + 40.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static int KindPlus40(object o) => o is PatchProbe p ? p.Kind() + 40 : -1;

        /// <summary>Calls the first patch's factory (the caller frees the object).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static object CreateThroughFirst() => Entry.Create();

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static bool IsFirstPatchProbe(object o) => o is PatchProbe;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static bool IsKernelBase(object o) => o is LinkProbeBase;
    }
}
