using Molt.Boot;
using Molt.Console;

namespace Molt.Diagnostics
{
    /// <summary>
    /// Deliberate faults for the host tests, chosen with <c>fault=KIND</c> on
    /// the command line: the kinds in <see cref="Options.FaultKinds"/>.
    /// Each must end in a panic whose reason names it; the host runner checks.
    /// </summary>
    public static unsafe class Faults
    {
        private sealed class Box { public int Value; }
        private class Animal { }
        private sealed class Dog : Animal { }
        private sealed class Cat : Animal { }

        public static void Trigger(CommandLine cmd)
        {
            byte* v; int n;
            if (!cmd.TryGet("fault", out v, out n)) { Panic.Fail("fault= needs a kind: " + Options.FaultKinds); return; }
            Log.Info("fault", $"triggering deliberate fault '{new AsciiText(v, n)}'");
            if (Is(v, n, "null")) { Box b = Opaque<Box>(null); KernelConsole.WriteDecimal(b.Value); }
            else if (Is(v, n, "cast")) { Animal a = Opaque<Animal>(new Cat()); Dog d = (Dog)a; KernelConsole.Write(d == null ? "" : "?"); }
            else if (Is(v, n, "index")) { int[] a = new int[4]; int i = OpaqueInt(7); KernelConsole.WriteDecimal(a[i]); }
            else if (Is(v, n, "divzero")) { int z = OpaqueInt(0); KernelConsole.WriteDecimal(100 / z); }
            else if (Is(v, n, "throw")) { throw new System.InvalidOperationException("deliberate throw"); }
            else if (Is(v, n, "oom")) { while (true) Memory.Heap.AllocateOrPanic(1 << 20); }
            else if (Is(v, n, "stack")) OverflowAThreadStack();
            else Panic.Fail("unknown fault kind; use one of " + Options.FaultKinds);
            Panic.Fail("the deliberate fault did not fault");
        }

        /// <summary>
        /// Recurses on a thread of its own until its stack runs out: the guard
        /// page below the stack (kernel/Memory/Stacks.cs) must turn that into a
        /// panic naming the thread. The boot thread waits; it never returns.
        /// </summary>
        private static void OverflowAThreadStack()
        {
            Threading.Thread t = Threading.Scheduler.Spawn(&Recurse, 0, "fault.stack", affinity: Threading.Scheduler.CurrentCpu);
            if (t == null) Panic.Fail("no memory for the fault.stack thread");
            t.Join();
        }

        private static void Recurse(nint depth)
        {
            byte* frame = stackalloc byte[512];
            frame[0] = (byte)depth;
            Recurse(depth + OpaqueInt(frame[0] | 1));
        }

        private static bool Is(byte* v, int n, string s)
        {
            if (n != s.Length) return false;
            for (int i = 0; i < n; i++) if (v[i] != s[i]) return false;
            return true;
        }

        // Keeps the optimizer from proving the fault away.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static T Opaque<T>(T value) where T : class => value;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static int OpaqueInt(int value) => value;
    }
}
