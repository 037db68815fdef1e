using System.Runtime.CompilerServices;
using Molt.Hal;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Static constructors run lazily and once; GC statics and preinitialized readonly data.</summary>
    internal static unsafe class StaticsTests
    {
        public static void Register()
        {
            TestRunner.Add("statics.cctor_runs_lazily_once", &LazyCctor);
            TestRunner.Add("statics.cctor_on_static_method_call", &CctorOnMethodCall);
            TestRunner.Add("statics.gc_statics_initialized", &GcStatics);
            TestRunner.Add("statics.preinitialized_readonly_arrays", &PreinitializedArrays);
            TestRunner.Add("statics.mutable_statics_persist", &MutableStatics);
        }

        /// <summary>No initializers, so no class constructor: plain zeroed .bss.</summary>
        private static class Tracker
        {
            public static int LazyRuns;
            public static int MethodRuns;
            public static int Seed;
        }

        /// <summary>A value only known at run time, so ilc cannot preinitialize the classes that read it.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int ReadSeed() => Tracker.Seed;

        private static class LazyValue
        {
            public static readonly int Doubled;
            public static readonly object Made;
            static LazyValue()
            {
                Tracker.LazyRuns++;
                Doubled = ReadSeed() * 2;
                Made = new int[] { ReadSeed(), 1 };
            }
        }

        private static class LazyMethod
        {
            private static readonly int s_base;
            static LazyMethod() { Tracker.MethodRuns++; s_base = ReadSeed() + 1; }
            [MethodImpl(MethodImplOptions.NoInlining)]
            public static int Add(int x) => s_base + x;
        }

        private static void LazyCctor(TestContext t)
        {
            t.Equal(0, Tracker.LazyRuns, "the class constructor has not run before first access");
            Tracker.Seed = Opaque.Int(21);
            int first = LazyValue.Doubled;
            t.Equal(1, Tracker.LazyRuns, "first access ran it");
            t.Equal(42, first, "it saw the value set at run time just before");
            Tracker.Seed = 1000;
            t.Equal(42, LazyValue.Doubled, "a second access sees the same value");
            object made = LazyValue.Made;
            t.True(made is int[] && ((int[])made)[0] == 21, "a GC static set by the lazy constructor");
            t.Equal(1, Tracker.LazyRuns, "it ran exactly once");
        }

        private static void CctorOnMethodCall(TestContext t)
        {
            t.Equal(0, Tracker.MethodRuns, "not yet run");
            Tracker.Seed = Opaque.Int(9);
            t.Equal(15, LazyMethod.Add(5), "calling a static method ran the constructor first");
            t.Equal(16, LazyMethod.Add(6), "second call");
            t.Equal(1, Tracker.MethodRuns, "exactly once");
        }

        private sealed class Node { public int Value = 7; public Node Next; }

        private static class Roots
        {
            public static Node Head;
            public static object Anything;
            public static int[] Buffer;
        }

        private static void GcStatics(TestContext t)
        {
            t.True(Roots.Head == null && Roots.Anything == null, "GC statics start null");
            Roots.Head = new Node();
            Roots.Head.Next = new Node { Value = 8 };
            Roots.Anything = Roots.Head;
            Roots.Buffer = new int[4];
            Roots.Buffer[3] = 33;
            t.True((object)Roots.Anything == (object)Roots.Head, "two statics hold one object");
            t.Equal(15, Opaque.Ref(Roots.Head).Value + Roots.Head.Next.Value, "objects reached through a static");
            t.Equal(33, Roots.Buffer[Opaque.Int(3)], "array reached through a static");
            Heap.Free(Roots.Head.Next); Heap.Free(Roots.Head); Heap.Free(Roots.Buffer);
            Roots.Head = null; Roots.Anything = null; Roots.Buffer = null;
        }

        // ilc preinitializes a class only if every initializer can be run at compile time.
        // Measured with ilc 10.0.12 -O --multifile --preinitstatics: arrays of primitives
        // can; a string-literal element or an object allocation (`new Node()`) makes the
        // whole class run its constructor lazily, on the heap. So the frozen arrays have
        // a class of their own, and the others are checked for their values only.
        private static class Tables
        {
            public static readonly int[] Primes = { 2, 3, 5, 7, 11, 13 };
            public static readonly long[] Powers = { 1, 1L << 20, 1L << 40, long.MinValue };
        }

        private static class LazyTables
        {
            public static readonly string[] Names = { "zero", "one", "two" };
            public static readonly Node Sentinel = new Node();
        }

        private static bool InImage(object o)
        {
            ulong a = (ulong)*(nint*)Unsafe.AsPointer(ref o);
            // The heap's bootstrap arena is in the image's .bss: an object allocated there
            // (a class constructor run lazily, not preinitialized) must not pass for frozen.
            return a >= Layout.KernelStart && a < Layout.KernelEnd && !Memory.Heap.InBootstrapArena((void*)a);
        }

        private static void PreinitializedArrays(TestContext t)
        {
            int[] primes = Opaque.Ref(Tables.Primes);
            t.Equal(6, primes.Length, "length");
            t.True(primes[0] == 2 && primes[3] == 7 && primes[5] == 13, "values");
            t.True(LazyTables.Names[2] == "two" && LazyTables.Names.Length == 3, "string array");
            t.Equal(long.MinValue, Tables.Powers[3], "long array");
            t.Equal(1L << 40, Tables.Powers[2], "long element");
            t.Equal(7, LazyTables.Sentinel.Value, "object with its field initializer");
            t.True(InImage(primes), "the preinitialized array is frozen in the kernel image, not on the heap");
            t.True(InImage(Tables.Powers), "a preinitialized long array too");
            t.True(InImage(LazyTables.Names[0]), "string literals are frozen in the image");
        }

        private static class Settings
        {
            public static int Level = 3;
            public static long Big = 1L << 33;
            public static string Label = "initial";
        }

        private static void MutableStatics(TestContext t)
        {
            t.Equal(3, Settings.Level, "initializer value");
            t.Equal(1L << 33, Settings.Big, "long initializer");
            t.True(Settings.Label == "initial", "string initializer");
            Settings.Level = Opaque.Int(4);
            Settings.Label = "changed";
            t.Equal(4, Opaque.Int(Settings.Level), "write persists");
            t.True(Opaque.Ref(Settings.Label) == "changed", "string write persists");
            Settings.Level = 3; Settings.Label = "initial";
        }
    }
}
