using System;
using System.Runtime.CompilerServices;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Classes, structs, generics, virtual and abstract members.</summary>
    internal static unsafe class ObjectModelTests
    {
        public static void Register()
        {
            TestRunner.Add("objects.class_fields_and_constructor", &ClassFields);
            TestRunner.Add("objects.struct_value_semantics", &StructValueSemantics);
            TestRunner.Add("objects.generic_class_over_value_and_reference", &GenericClass);
            TestRunner.Add("objects.generic_method_over_value_and_reference", &GenericMethod);
            TestRunner.Add("objects.virtual_override_four_levels", &VirtualDeep);
            TestRunner.Add("objects.base_calls_chain", &BaseCalls);
            TestRunner.Add("objects.abstract_members", &AbstractMembers);
            TestRunner.Add("objects.override_equals_and_hashcode", &OverrideEquals);
        }

        private sealed class Account
        {
            public long Balance;
            public int Id;
            public string Owner;
            public Account(int id, string owner, long balance) { Id = id; Owner = owner; Balance = balance; }
            public void Deposit(long amount) => Balance += amount;
        }

        private static void ClassFields(TestContext t)
        {
            var a = new Account(7, "ada", 100);
            var b = new Account(8, "bob", -5);
            a.Deposit(23);
            t.Equal(123, a.Balance, "deposit updates the field");
            t.Equal(7, a.Id, "constructor stored the id");
            t.True(a.Owner == "ada", "constructor stored the owner");
            t.Equal(-5, b.Balance, "a second instance is separate");
            t.True((object)a != (object)b, "two news are two objects");
            Heap.Free(a); Heap.Free(b);
        }

        private struct Point
        {
            public int X, Y;
            public Point(int x, int y) { X = x; Y = y; }
            public void Move(int dx) => X += dx;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MoveByValue(Point p) => p.Move(100);

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MoveByRef(ref Point p) => p.Move(100);

        private static void StructValueSemantics(TestContext t)
        {
            var p = new Point(1, 2);
            Point q = p;
            q.Move(5);
            t.Equal(1, p.X, "copy does not alias the original");
            t.Equal(6, q.X, "the copy changed");
            MoveByValue(p);
            t.Equal(1, p.X, "by-value argument is a copy");
            MoveByRef(ref p);
            t.Equal(101, p.X, "by-ref argument is the original");
            t.Equal(8, sizeof(Point), "two ints are 8 bytes");
        }

        private sealed class Cell<T>
        {
            private T _value;
            private int _writes;
            public Cell(T value) { _value = value; }
            public T Get() => _value;
            public void Set(T value) { _value = value; _writes++; }
            public int Writes => _writes;
        }

        private sealed class Stack<T>
        {
            private readonly T[] _items = new T[8];
            private int _count;
            public int Count => _count;
            public bool Push(T item) { if (_count == _items.Length) return false; _items[_count++] = item; return true; }
            public T Pop() => _items[--_count];
            public void Free() => Heap.Free(_items);
        }

        private static void GenericClass(TestContext t)
        {
            var ci = new Cell<int>(41);
            ci.Set(ci.Get() + 1);
            t.Equal(42, ci.Get(), "Cell<int>");
            var cl = new Cell<long>(long.MaxValue);
            t.Equal(long.MaxValue, cl.Get(), "Cell<long> keeps 64 bits");
            var cs = new Cell<string>("first");
            cs.Set("second");
            t.True(cs.Get() == "second" && cs.Writes == 1, "Cell<string>");
            var cp = new Cell<Point>(new Point(3, 4));
            t.Equal(4, cp.Get().Y, "Cell<struct>");

            var si = new Stack<int>();
            for (int i = 1; i <= 5; i++) si.Push(i * i);
            t.Equal(25, si.Pop(), "Stack<int> pops last pushed");
            t.Equal(4, si.Count, "Stack<int> count");
            var so = new Stack<object>();
            so.Push(ci); so.Push(cs);
            t.True((object)so.Pop() == (object)cs, "Stack<object> pops the same reference");
            t.True(so.Pop() is Cell<int>, "Stack<object> keeps the type");
            si.Free(); so.Free();
            Heap.Free(si); Heap.Free(so); Heap.Free(ci); Heap.Free(cl); Heap.Free(cs); Heap.Free(cp);
        }

        private static void Swap<T>(ref T a, ref T b) { T tmp = a; a = b; b = tmp; }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int IndexOf<T>(T[] items, T value) where T : IEquatable<T>
        {
            for (int i = 0; i < items.Length; i++) if (items[i].Equals(value)) return i;
            return -1;
        }

        private struct Key : IEquatable<Key>
        {
            public int A, B;
            public Key(int a, int b) { A = a; B = b; }
            public bool Equals(Key other) => A == other.A && B == other.B;
        }

        private sealed class Name : IEquatable<Name>
        {
            public string Text;
            public Name(string text) { Text = text; }
            public bool Equals(Name other) => other != null && Text == other.Text;
        }

        private static void GenericMethod(TestContext t)
        {
            int x = 1, y = 2;
            Swap(ref x, ref y);
            t.True(x == 2 && y == 1, "Swap<int>");
            string s1 = "a", s2 = "b";
            Swap(ref s1, ref s2);
            t.True(s1 == "b" && s2 == "a", "Swap<string>");
            var keys = new Key[] { new Key(1, 1), new Key(1, 2), new Key(2, 1) };
            t.Equal(1, IndexOf(keys, new Key(1, 2)), "IndexOf<struct> finds it");
            t.Equal(-1, IndexOf(keys, new Key(3, 3)), "IndexOf<struct> misses");
            var names = new Name[] { new Name("x"), new Name("y") };
            var probe = new Name("y");
            t.Equal(1, IndexOf(names, probe), "IndexOf<class> uses Equals, not identity");
            for (int i = 0; i < names.Length; i++) Heap.Free(names[i]);
            Heap.Free(names); Heap.Free(keys); Heap.Free(probe);
        }

        private class Level0 { public virtual int Depth() => 0; public virtual string Tag() => "L0"; public int NonVirtual() => 100; }
        private class Level1 : Level0 { public override int Depth() => 1; }
        private class Level2 : Level1 { public override int Depth() => 2; public override string Tag() => "L2"; }
        private sealed class Level3 : Level2 { public override int Depth() => 3; }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int DepthOf(Level0 o) => o.Depth();

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string TagOf(Level0 o) => o.Tag();

        private static void VirtualDeep(TestContext t)
        {
            Level0[] all = { new Level0(), new Level1(), new Level2(), new Level3() };
            for (int i = 0; i < all.Length; i++)
                t.Equal(i, DepthOf(all[i]), "Depth() through a Level0 reference");
            t.True(TagOf(all[1]) == "L0", "Level1 inherits Tag from Level0");
            t.True(TagOf(all[3]) == "L2", "Level3 inherits Tag from Level2");
            t.Equal(100, Opaque.Ref(all[3]).NonVirtual(), "non-virtual call on derived");
            for (int i = 0; i < all.Length; i++) Heap.Free(all[i]);
            Heap.Free(all);
        }

        private class Counter { public virtual int Step(int x) => x + 1; }
        private class Doubler : Counter { public override int Step(int x) => base.Step(x) * 2; }
        private class Negator : Doubler { public override int Step(int x) => -base.Step(x); }

        private static void BaseCalls(TestContext t)
        {
            Counter c = Opaque.Ref<Counter>(new Negator());
            t.Equal(-8, c.Step(3), "-( (3+1)*2 ) through base calls");
            Counter d = Opaque.Ref<Counter>(new Doubler());
            t.Equal(8, d.Step(3), "(3+1)*2");
            Heap.Free(c); Heap.Free(d);
        }

        private abstract class Shape
        {
            public abstract int Area();
            public abstract string Kind { get; }
            public int DoubleArea() => 2 * Area();
        }
        private sealed class Square : Shape { private readonly int _s; public Square(int s) { _s = s; } public override int Area() => _s * _s; public override string Kind => "square"; }
        private sealed class Rect : Shape { private readonly int _w, _h; public Rect(int w, int h) { _w = w; _h = h; } public override int Area() => _w * _h; public override string Kind => "rect"; }
        private sealed class Tri : Shape { private readonly int _b, _h; public Tri(int b, int h) { _b = b; _h = h; } public override int Area() => _b * _h / 2; public override string Kind => "tri"; }

        private static void AbstractMembers(TestContext t)
        {
            Shape[] shapes = { new Square(3), new Rect(2, 5), new Tri(4, 3) };
            int total = 0;
            foreach (Shape s in shapes) total += Opaque.Ref(s).Area();
            t.Equal(9 + 10 + 6, total, "sum of abstract Area()");
            t.Equal(20, shapes[1].DoubleArea(), "concrete base method calling abstract");
            t.True(Opaque.Ref(shapes[2]).Kind == "tri", "abstract property");
            t.True(Opaque.Ref(shapes[0]).Kind == "square", "abstract property (other type)");
            foreach (Shape s in shapes) Heap.Free(s);
            Heap.Free(shapes);
        }

        private sealed class Money
        {
            public long Cents;
            public Money(long c) { Cents = c; }
            public override bool Equals(object obj) => obj is Money m && m.Cents == Cents;
            public override int GetHashCode() => (int)Cents ^ 0x5a5a;
        }

        private static void OverrideEquals(TestContext t)
        {
            object a = Opaque.Obj(new Money(250)), b = Opaque.Obj(new Money(250)), c = Opaque.Obj(new Money(1));
            t.True(a.Equals(b), "overridden Equals through object");
            t.True(!a.Equals(c), "different values differ");
            t.True(!a.Equals(null), "Equals(null) is false");
            t.Equal(a.GetHashCode(), b.GetHashCode(), "equal objects hash alike");
            t.Equal(250 ^ 0x5a5a, a.GetHashCode(), "overridden GetHashCode");
            object plain1 = new object(), plain2 = new object();
            t.True(plain1.Equals(plain1) && !plain1.Equals(plain2), "Object.Equals is identity");
            Heap.Free(a); Heap.Free(b); Heap.Free(c); Heap.Free(plain1); Heap.Free(plain2);
        }
    }
}
