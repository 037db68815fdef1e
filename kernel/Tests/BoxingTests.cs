using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Boxing and unboxing of primitives, structs and Nullable&lt;T&gt;; Equals on boxed values.</summary>
    internal static unsafe class BoxingTests
    {
        public static void Register()
        {
            TestRunner.Add("boxing.int_roundtrip", &IntRoundtrip);
            TestRunner.Add("boxing.long_roundtrip", &LongRoundtrip);
            TestRunner.Add("boxing.struct_is_a_copy", &StructCopy);
            TestRunner.Add("boxing.type_tests_on_boxes", &TypeTests);
            TestRunner.Add("boxing.nullable_with_value", &NullableWithValue);
            TestRunner.Add("boxing.nullable_without_value", &NullableWithoutValue);
            TestRunner.Add("boxing.equals_on_boxed_values", &BoxedEquals);
        }

        private struct Triple { public long A; public int B; public byte C; }

        private static void IntRoundtrip(TestContext t)
        {
            object o = Opaque.Obj(-123456);
            t.Equal(-123456, (int)o, "unbox gives the boxed int");
            object max = Opaque.Obj(int.MaxValue);
            t.Equal(int.MaxValue, (int)max, "int.MaxValue survives");
            t.True((object)o != (object)max, "two boxes are two objects");
            Heap.Free(o); Heap.Free(max);
        }

        private static void LongRoundtrip(TestContext t)
        {
            object o = Opaque.Obj(long.MinValue);
            t.Equal(long.MinValue, (long)o, "long.MinValue survives boxing");
            object u = Opaque.Obj(0xFEDC_BA98_7654_3210UL);
            t.Equal(0xFEDC_BA98_7654_3210UL, (ulong)u, "ulong survives boxing");
            Heap.Free(o); Heap.Free(u);
        }

        private static void StructCopy(TestContext t)
        {
            var v = new Triple { A = 1L << 40, B = -7, C = 200 };
            object boxed = Opaque.Obj(v);
            v.B = 99;
            var back = (Triple)boxed;
            t.Equal(1L << 40, back.A, "long field");
            t.Equal(-7, back.B, "the box holds a copy, not the local");
            t.Equal(200, back.C, "byte field");
            t.True(boxed is Triple, "box is Triple");
            Heap.Free(boxed);
        }

        private static void TypeTests(TestContext t)
        {
            object i = Opaque.Obj(5), l = Opaque.Obj(5L), s = Opaque.Obj(new Triple());
            t.True(i is int && !(i is long) && !(i is uint), "a boxed int is only an int");
            t.True(l is long && !(l is int), "a boxed long is only a long");
            t.True(s is Triple && !(s is int), "a boxed struct is its struct");
            t.True(i is System.ValueType && !(i is string), "a box is a ValueType");
            t.True(i is int n && n == 5, "pattern unbox");
            Heap.Free(i); Heap.Free(l); Heap.Free(s);
        }

        private static void NullableWithValue(TestContext t)
        {
            int? some = Opaque.Int(42);
            object boxed = some;
            t.True(boxed != null, "a Nullable with a value boxes to an object");
            t.True(boxed is int, "and the box is a plain int");
            t.Equal(42, (int)boxed, "with the value");
            int? back = (int?)boxed;
            t.True(back.HasValue && back.Value == 42, "unboxing to int? restores the value");
            long? big = Opaque.Long(-1L << 50);
            object bigBox = big;
            long? bigBack = (long?)bigBox;
            t.True(bigBack.HasValue && bigBack.GetValueOrDefault() == (-1L << 50), "long? roundtrip");
            Heap.Free(boxed); Heap.Free(bigBox);
        }

        private static void NullableWithoutValue(TestContext t)
        {
            int? none = Opaque.Int(0) == 0 ? null : 1;
            object boxed = none;
            t.True(boxed == null, "an empty Nullable boxes to null");
            int? back = (int?)Opaque.Obj(null);
            t.True(!back.HasValue, "unboxing null to int? gives no value");
            t.Equal(0, back.GetValueOrDefault(), "and default 0");
            object s = Opaque.Obj(null);
            t.True(!(s is int), "null is not an int");
        }

        private static void BoxedEquals(TestContext t)
        {
            object a = Opaque.Obj(1000), b = Opaque.Obj(1000), c = Opaque.Obj(1001), l = Opaque.Obj(1000L);
            t.True((object)a != (object)b, "separate boxes");
            t.True(a.Equals(b), "equal ints in different boxes are Equal");
            t.True(!a.Equals(c), "different ints are not Equal");
            t.True(!a.Equals(l), "an int and a long are not Equal");
            t.True(!a.Equals(null), "Equals(null) is false");
            t.Equal(a.GetHashCode(), b.GetHashCode(), "equal boxes hash alike");
            object s1 = Opaque.Obj(new Triple { A = 3, B = 4, C = 5 }), s2 = Opaque.Obj(new Triple { A = 3, B = 4, C = 5 });
            object s3 = Opaque.Obj(new Triple { A = 3, B = 4, C = 6 });
            t.True(s1.Equals(s2) && !s1.Equals(s3), "struct Equals compares the contents");
            Heap.Free(a); Heap.Free(b); Heap.Free(c); Heap.Free(l); Heap.Free(s1); Heap.Free(s2); Heap.Free(s3);
        }
    }
}
