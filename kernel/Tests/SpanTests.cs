using System;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Arrays, Array.Copy/Clear, Span&lt;T&gt;/ReadOnlySpan&lt;T&gt; and stackalloc.</summary>
    internal static unsafe class SpanTests
    {
        public static void Register()
        {
            TestRunner.Add("arrays.int_array_zeroed_and_indexed", &IntArray);
            TestRunner.Add("arrays.struct_array", &StructArray);
            TestRunner.Add("arrays.object_array", &ObjectArray);
            TestRunner.Add("arrays.jagged", &Jagged);
            TestRunner.Add("arrays.copy_and_clear", &CopyAndClear);
            TestRunner.Add("arrays.copy_overlapping", &CopyOverlapping);
            TestRunner.Add("spans.slice_and_indexer", &SliceAndIndexer);
            TestRunner.Add("spans.copy_fill_clear", &CopyFillClear);
            TestRunner.Add("spans.foreach", &ForEach);
            TestRunner.Add("spans.stackalloc", &StackAlloc);
        }

        private static void IntArray(TestContext t)
        {
            int[] a = new int[Opaque.Int(100)];
            t.Equal(100, a.Length, "Length");
            bool zero = true;
            for (int i = 0; i < a.Length; i++) zero &= a[i] == 0;
            t.True(zero, "new arrays are zeroed");
            for (int i = 0; i < a.Length; i++) a[i] = i * 3;
            long sum = 0;
            for (int i = 0; i < a.Length; i++) sum += a[i];
            t.Equal(3 * 99 * 100 / 2, sum, "write then read every element");
            int[] literal = { 5, -6, 7 };
            t.Equal(3, literal.Length, "initialized array length");
            t.Equal(-6, literal[1], "initialized array element");
            int[] empty = new int[0];
            t.Equal(0, empty.Length, "empty array");
            Heap.Free(a); Heap.Free(literal); Heap.Free(empty);
        }

        private struct Particle { public long Id; public short X, Y; public bool Alive; }

        private static void StructArray(TestContext t)
        {
            var ps = new Particle[16];
            for (int i = 0; i < ps.Length; i++) { ps[i].Id = 1000 + i; ps[i].X = (short)-i; ps[i].Y = (short)(i * 2); ps[i].Alive = (i & 1) == 0; }
            ref Particle p = ref ps[7];
            p.Y = 77;
            t.Equal(1007, ps[7].Id, "field of element 7");
            t.Equal(77, ps[7].Y, "write through a ref to an element");
            t.Equal(-15, ps[15].X, "last element");
            int alive = 0;
            foreach (var q in ps) if (q.Alive) alive++;
            t.Equal(8, alive, "foreach over a struct array");
            Heap.Free(ps);
        }

        private static void ObjectArray(TestContext t)
        {
            object[] items = new object[4];
            t.True(items[0] == null && items[3] == null, "new object[] holds nulls");
            items[0] = "str";
            items[1] = items;
            items[2] = Opaque.Obj(12);
            t.True(items[0] is string && (object)items[1] == (object)items, "references stored");
            t.Equal(12, (int)items[2], "boxed element");
            t.Equal(4, items.Length, "Length");
            Heap.Free(items[2]); Heap.Free(items);
        }

        private static void Jagged(TestContext t)
        {
            int[][] rows = new int[3][];
            for (int r = 0; r < rows.Length; r++)
            {
                rows[r] = new int[r + 1];
                for (int c = 0; c <= r; c++) rows[r][c] = r * 10 + c;
            }
            t.Equal(3, rows[2].Length, "row lengths differ");
            t.Equal(21, rows[2][1], "element [2][1]");
            for (int r = 0; r < rows.Length; r++) Heap.Free(rows[r]);
            Heap.Free(rows);
        }

        private static void CopyAndClear(TestContext t)
        {
            int[] src = { 1, 2, 3, 4, 5, 6 };
            int[] dst = new int[8];
            Array.Copy(src, 1, dst, 2, 4);
            t.True(dst[0] == 0 && dst[1] == 0 && dst[2] == 2 && dst[5] == 5 && dst[6] == 0, "Array.Copy places the range");
            string[] names = { "a", "b", "c" };
            string[] copy = new string[3];
            Array.Copy(names, 0, copy, 0, 3);
            t.True((object)copy[2] == (object)names[2], "Array.Copy of references");
            Array.Clear(dst);
            bool zero = true;
            foreach (int v in dst) zero &= v == 0;
            t.True(zero, "Array.Clear zeroes every element");
            Array.Clear(copy);
            t.True(copy[0] == null && copy[2] == null, "Array.Clear nulls references");
            Heap.Free(src); Heap.Free(dst); Heap.Free(names); Heap.Free(copy);
        }

        private static void CopyOverlapping(TestContext t)
        {
            int[] a = { 1, 2, 3, 4, 5, 6 };
            Array.Copy(a, 0, a, 1, 5);
            t.True(a[0] == 1 && a[1] == 1 && a[2] == 2 && a[3] == 3 && a[4] == 4 && a[5] == 5, "copy forward within one array (like memmove)");
            int[] b = { 1, 2, 3, 4, 5, 6 };
            Array.Copy(b, 2, b, 0, 4);
            t.True(b[0] == 3 && b[1] == 4 && b[2] == 5 && b[3] == 6 && b[4] == 5 && b[5] == 6, "copy backward within one array");
            Span<int> s = a;
            s.Slice(0, 4).CopyTo(s.Slice(2));
            t.True(a[2] == 1 && a[3] == 1 && a[4] == 2 && a[5] == 3, "overlapping Span.CopyTo");
            Heap.Free(a); Heap.Free(b);
        }

        private static void SliceAndIndexer(TestContext t)
        {
            int[] a = { 0, 10, 20, 30, 40, 50, 60 };
            Span<int> s = a;
            Span<int> mid = s.Slice(2, 3);
            t.Equal(3, mid.Length, "slice length");
            t.Equal(20, mid[0], "slice start");
            t.Equal(40, mid[2], "slice end");
            mid[1] = -1;
            t.Equal(-1, a[3], "a slice writes through to the array");
            Span<int> tail = s.Slice(5);
            t.True(tail.Length == 2 && tail[1] == 60, "Slice(start)");
            t.True(s.Slice(7).IsEmpty, "slice at the end is empty");
            ReadOnlySpan<int> ro = mid;
            t.Equal(-1, ro[1], "ReadOnlySpan sees the same memory");
            ReadOnlySpan<int> ro2 = new ReadOnlySpan<int>(a, 1, 2);
            t.True(ro2.Length == 2 && ro2[0] == 10, "ReadOnlySpan over part of an array");
            Heap.Free(a);
        }

        private static void CopyFillClear(TestContext t)
        {
            int[] a = new int[6], b = new int[6];
            Span<int> sa = a, sb = b;
            sa.Fill(9);
            t.True(a[0] == 9 && a[5] == 9, "Fill");
            sa.Slice(1, 2).Clear();
            t.True(a[0] == 9 && a[1] == 0 && a[2] == 0 && a[3] == 9, "Clear of a slice");
            sa.CopyTo(sb);
            t.True(b[0] == 9 && b[1] == 0 && b[5] == 9, "CopyTo");
            ((ReadOnlySpan<int>)sa.Slice(3)).CopyTo(sb);
            t.True(b[0] == 9 && b[3] == 9 && b[4] == 9, "ReadOnlySpan.CopyTo into a longer span");
            Span<long> longs = stackalloc long[3];
            longs.Fill(long.MinValue);
            t.Equal(long.MinValue, longs[2], "Fill with a long");
            Heap.Free(a); Heap.Free(b);
        }

        private static void ForEach(TestContext t)
        {
            Span<int> s = stackalloc int[10];
            for (int i = 0; i < s.Length; i++) s[i] = i + 1;
            int sum = 0, count = 0;
            foreach (int v in s) { sum += v; count++; }
            t.Equal(55, sum, "foreach over Span");
            t.Equal(10, count, "visits every element once");
            ReadOnlySpan<int> ro = s.Slice(8);
            sum = 0;
            foreach (int v in ro) sum += v;
            t.Equal(19, sum, "foreach over ReadOnlySpan");
            foreach (ref int v in s) v = -v;
            t.Equal(-10, s[9], "foreach by ref writes");
        }

        private static int SumPointer(int* p, int n)
        {
            int total = 0;
            for (int i = 0; i < n; i++) total += p[i];
            return total;
        }

        private static void StackAlloc(TestContext t)
        {
            int* p = stackalloc int[32];
            for (int i = 0; i < 32; i++) p[i] = i;
            t.Equal(31 * 32 / 2, SumPointer(p, 32), "stackalloc pointer");
            t.True(((ulong)p & 3) == 0, "stackalloc int is aligned");
            Span<byte> bytes = stackalloc byte[Opaque.Int(64)];
            bool zero = true;
            foreach (byte b in bytes) zero &= b == 0;
            t.True(zero, "stackalloc span is zeroed");
            t.Equal(64, bytes.Length, "runtime-sized stackalloc");
            bytes[63] = 0xAB;
            t.Equal(0xAB, bytes[63], "write and read back");
        }
    }
}
