using System;
using System.Runtime.CompilerServices;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Function pointers (delegate*) and ordinary delegates.</summary>
    internal static unsafe class DelegateTests
    {
        public static void Register()
        {
            TestRunner.Add("fnptr.static_with_args_and_return", &FnPtrBasic);
            TestRunner.Add("fnptr.table_dispatch", &FnPtrTable);
            TestRunner.Add("fnptr.struct_and_ref_arguments", &FnPtrStructs);
            TestRunner.Add("delegates.static_method", &DelegateStatic);
            TestRunner.Add("delegates.instance_and_closure", &DelegateInstance);
        }

        private static int Add(int a, int b) => a + b;
        private static int Sub(int a, int b) => a - b;
        private static int Mul(int a, int b) => a * b;
        private static long Mix(long a, int b, byte c, long d) => a * 1000 + b * 100 + c * 10 + d;

        private static void FnPtrBasic(TestContext t)
        {
            delegate*<int, int, int> f = &Add;
            t.Equal(7, f(3, 4), "call through a function pointer");
            f = &Sub;
            t.Equal(-1, f(3, 4), "reassigned");
            delegate*<long, int, byte, long, long> m = &Mix;
            t.Equal(1234, m(1, 2, 3, 4), "four mixed-width arguments");
            t.True((nint)(delegate*<int, int, int>)&Add != (nint)(delegate*<int, int, int>)&Sub, "distinct functions, distinct addresses");
        }

        private static void FnPtrTable(TestContext t)
        {
            var table = stackalloc delegate*<int, int, int>[3];
            table[0] = &Add; table[1] = &Sub; table[2] = &Mul;
            int acc = 10;
            for (int i = 0; i < 3; i++) acc = table[Opaque.Int(i)](acc, 3);
            t.Equal((10 + 3 - 3) * 3, acc, "a table of function pointers");
        }

        private struct Vec { public long X, Y, Z; }
        private static Vec Scale(Vec v, int k) { v.X *= k; v.Y *= k; v.Z *= k; return v; }
        private static void Bump(ref int x) => x += 5;

        private static void FnPtrStructs(TestContext t)
        {
            delegate*<Vec, int, Vec> s = &Scale;
            Vec r = s(new Vec { X = 1, Y = -2, Z = 3 }, 4);
            t.True(r.X == 4 && r.Y == -8 && r.Z == 12, "a 24-byte struct in and out");
            delegate*<ref int, void> b = &Bump;
            int v = 1;
            b(ref v);
            t.Equal(6, v, "a by-ref argument");
        }

        private static int Twice(int x) => 2 * x;

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int Apply(Func<int, int> f, int x) => f(x);

        private static void DelegateStatic(TestContext t)
        {
            Func<int, int> twice = Twice;
            t.Equal(42, Apply(twice, 21), "delegate to a static method");
            Func<int, int> square = x => x * x;
            t.Equal(49, Apply(square, 7), "non-capturing lambda");
            Heap.Free(twice);
        }

        private sealed class Scaler
        {
            public int Factor;
            public int Apply(int x) => x * Factor;
        }

        private static void DelegateInstance(TestContext t)
        {
            var s = new Scaler { Factor = 3 };
            Func<int, int> f = s.Apply;
            t.Equal(30, Apply(f, 10), "delegate to an instance method");
            s.Factor = 4;
            t.Equal(40, Apply(f, 10), "bound to the object, not a copy");
            int offset = Opaque.Int(100);
            Func<int, int> g = x => x + offset;
            t.Equal(105, Apply(g, 5), "capturing lambda");
            int calls = 0;
            Action a = () => calls++;
            a(); a();
            t.Equal(2, calls, "Action mutating a captured local");
            t.True((object)g._firstParameter == (object)a._firstParameter, "both lambdas share one closure object");
            Heap.Free(g._firstParameter); // the closure holding offset and calls
            Heap.Free(g); Heap.Free(a); Heap.Free(f); Heap.Free(s);
        }
    }
}
