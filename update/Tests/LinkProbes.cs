namespace Molt.Update.Tests
{
    /// <summary>
    /// Kernel types the test patch <c>tests/patches/linkprobe</c> implements
    /// (update/Tests/LinkerTests.cs loads it): a generic interface over a
    /// reference type and an abstract base with abstract methods, the two
    /// shapes of "one type identity" across the kernel/patch boundary.
    /// </summary>
    public interface ILinkProbe<T> where T : class
    {
        T Echo(T value);
        int Step(int x);
    }

    /// <summary>Patchable behaviour stays abstract: a virtual with a body could be sealed by the compiler.</summary>
    public abstract class LinkProbeBase
    {
        public abstract int Kind();
        public abstract string Name();
    }

    /// <summary>The kernel's own implementer: kernel call sites are warmed on it before they meet the patch's.</summary>
    public sealed class KernelLinkProbe : LinkProbeBase, ILinkProbe<object>
    {
        public override int Kind() => 1;
        public override string Name() => "kernel-probe";
        public object Echo(object value) => value;
        public int Step(int x) => x + 1;
    }

    /// <summary>Kernel call sites that the in-kernel linker tests aim at a patch object.</summary>
    public static class LinkProbeCalls
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static int Step(ILinkProbe<object> probe, int x) => probe.Step(x);
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static int Kind(LinkProbeBase probe) => probe.Kind();
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static string Name(LinkProbeBase probe) => probe.Name();
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static bool IsProbe(object o) => o is ILinkProbe<object>;
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static bool IsBase(object o) => o is LinkProbeBase;
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static bool IsKernelProbe(object o) => o is KernelLinkProbe;
    }
}
