// The test patch the in-kernel linker tests load (update/Tests/LinkerTests.cs).
// Built by `make patch-fixtures` against build/<arch>/molt.dll into
// build/<arch>/patches/linkprobe.o; see docs/linker.md.
using System.Runtime.CompilerServices;
using Molt.Update.Tests;

namespace LinkProbePatch
{
    public sealed class PatchProbe : LinkProbeBase, ILinkProbe<object>
    {
        private int _calls;
        public override int Kind() => 2;
        public override string Name() => "patch-probe";
        public object Echo(object value) => value;
        public int Step(int x) { _calls++; return x + 100 + Entry.Bias; }
    }

    public static class Entry
    {
        // Not readonly: its static base is allocated by the module's initialization
        // (section 201); before that, reading it gives garbage or faults.
        private static string s_greeting = "kernel-probe";
        // Set by the module initializer (section 213).
        internal static int Bias;
        private static int s_initRuns;

        [ModuleInitializer]
        internal static void Initialize() { Bias = 7; s_initRuns++; }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static object Create() => new PatchProbe();

        // A use of the kernel interface that the compiler cannot fold keeps the
        // interface in PatchProbe's MethodTable (docs/linker.md).
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static bool IsProbe(object o) => o is ILinkProbe<object>;

        public static string Greeting() => s_greeting;
        public static int InitRuns() => s_initRuns;
        public static bool IsKernelProbe(object o) => o is KernelLinkProbe;
        public static bool IsPatchProbe(object o) => o is PatchProbe;
        public static int CallKernel(LinkProbeBase b) => b.Kind();
    }
}
