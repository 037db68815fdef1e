using System.Runtime.CompilerServices;
using Internal.Runtime;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// Interface calls that really go through the resolver: every interface
    /// has several implementers and objects reach the call through NoInlining
    /// helpers, so ilc cannot devirtualize them.
    /// </summary>
    internal static unsafe class DispatchTests
    {
        public static void Register()
        {
            TestRunner.Add("dispatch.many_implementers", &ManyImplementers);
            TestRunner.Add("dispatch.multiple_interfaces_one_class", &MultipleInterfaces);
            TestRunner.Add("dispatch.base_class_implementation", &BaseClassImplementation);
            TestRunner.Add("dispatch.derived_override_of_interface_method", &DerivedOverride);
            TestRunner.Add("dispatch.reimplementation_in_derived", &Reimplementation);
            TestRunner.Add("dispatch.explicit_implementations", &ExplicitImplementations);
            TestRunner.Add("dispatch.generic_interface", &GenericInterface);
            TestRunner.Add("dispatch.interface_inheritance", &InterfaceInheritance);
            TestRunner.Add("dispatch.cache_hits_on_hot_call", &CacheHits);
            TestRunner.Add("dispatch.monomorphic_site_skips_the_resolver", &MonomorphicSite);
            TestRunner.Add("dispatch.polymorphic_call_site", &PolymorphicSite);
        }

        private interface IArea { int Area(); }
        private interface INamed { string Name(); }
        private interface IScaled { int Scale(int factor); }

        private sealed class Box : IArea, INamed, IScaled
        {
            private readonly int _w, _h;
            public Box(int w, int h) { _w = w; _h = h; }
            public int Area() => _w * _h;
            public string Name() => "box";
            public int Scale(int f) => Area() * f * f;
        }

        private sealed class Disc : IArea, INamed
        {
            public int Area() => 3;
            public string Name() => "disc";
        }

        private sealed class Line : IArea, IScaled
        {
            public int Area() => 0;
            public int Scale(int f) => -f;
        }

        [MethodImpl(MethodImplOptions.NoInlining)] private static int AreaOf(IArea a) => a.Area();
        [MethodImpl(MethodImplOptions.NoInlining)] private static string NameOf(INamed n) => n.Name();
        [MethodImpl(MethodImplOptions.NoInlining)] private static int ScaleOf(IScaled s, int f) => s.Scale(f);

        private static void MultipleInterfaces(TestContext t)
        {
            var box = new Box(2, 3);
            var disc = new Disc();
            var line = new Line();
            ulong before = Resolved();
            t.Equal(6, AreaOf(box), "IArea on Box");
            t.Equal(3, AreaOf(disc), "IArea on Disc");
            t.Equal(0, AreaOf(line), "IArea on Line");
            t.True(NameOf(box) == "box", "INamed on Box");
            t.True(NameOf(disc) == "disc", "INamed on Disc");
            t.Equal(24, ScaleOf(box, 2), "IScaled on Box, with an argument");
            t.Equal(-5, ScaleOf(line, 5), "IScaled on Line");
            t.True(Resolved() - before >= 1, "all seven calls were dispatched by the resolver (call sites already resolved for a type dispatch through their cell)");
            Heap.Free(box); Heap.Free(disc); Heap.Free(line);
        }

        private interface ICounter { int Next(); int Peek(); }

        private class CounterBase : ICounter
        {
            protected int _n;
            public int Next() => ++_n;
            public virtual int Peek() => _n;
        }
        private sealed class PlainCounter : CounterBase { public int Extra = 5; }
        private sealed class TenCounter : CounterBase { public override int Peek() => _n * 10; }
        private sealed class OtherCounter : ICounter
        {
            public int Next() => -1;
            public int Peek() => -2;
        }

        [MethodImpl(MethodImplOptions.NoInlining)] private static int NextOf(ICounter c) => c.Next();
        [MethodImpl(MethodImplOptions.NoInlining)] private static int PeekOf(ICounter c) => c.Peek();

        private static void BaseClassImplementation(TestContext t)
        {
            var plain = new PlainCounter();
            var other = new OtherCounter();
            ulong before = Resolved();
            NextOf(plain); NextOf(plain);
            t.Equal(3, NextOf(plain), "Next() implemented in the base, called on the derived");
            t.Equal(3, PeekOf(plain), "virtual Peek() from the base");
            t.Equal(-1, NextOf(other), "an unrelated implementer still works");
            t.Equal(5, plain.Extra, "derived fields intact");
            t.True(Resolved() - before >= 1, "dispatched by the resolver (call sites already resolved for a type dispatch through their cell)");
            Heap.Free(plain); Heap.Free(other);
        }

        private static void DerivedOverride(TestContext t)
        {
            var ten = new TenCounter();
            var plain = new PlainCounter();
            ulong before = Resolved();
            NextOf(ten); NextOf(ten);
            NextOf(plain);
            t.Equal(20, PeekOf(ten), "Peek() overridden in the derived class, reached through ICounter");
            t.Equal(1, PeekOf(plain), "the sibling keeps the base Peek()");
            t.True(Resolved() - before >= 1, "dispatched by the resolver (call sites already resolved for a type dispatch through their cell)");
            t.Equal(20, Opaque.Ref<CounterBase>(ten).Peek(), "same override through the base class");
            Heap.Free(ten); Heap.Free(plain);
        }

        private interface IGreeter { string Greet(); }
        private class Greeter : IGreeter { public string Greet() => "hello"; }
        private sealed class LoudGreeter : Greeter, IGreeter { string IGreeter.Greet() => "HELLO"; }
        private sealed class QuietGreeter : Greeter { }

        [MethodImpl(MethodImplOptions.NoInlining)] private static string GreetOf(IGreeter g) => g.Greet();

        private static void Reimplementation(TestContext t)
        {
            var loud = new LoudGreeter();
            var quiet = new QuietGreeter();
            ulong before = Resolved();
            t.True(GreetOf(loud) == "HELLO", "re-implemented interface wins through the interface");
            t.True(Opaque.Ref<Greeter>(loud).Greet() == "hello", "the class method is unchanged");
            t.True(GreetOf(quiet) == "hello", "an inheriting class gets the base implementation");
            t.True(Resolved() - before >= 1, "the two interface calls were dispatched by the resolver (call sites already resolved for a type dispatch through their cell)");
            Heap.Free(loud); Heap.Free(quiet);
        }

        private interface ILeft { int Value(); }
        private interface IRight { int Value(); }
        private sealed class Both : ILeft, IRight
        {
            int ILeft.Value() => 1;
            int IRight.Value() => 2;
            public int Value() => 3;
        }
        private sealed class LeftOnly : ILeft { public int Value() => 10; }
        private sealed class RightOnly : IRight { int IRight.Value() => 20; }

        [MethodImpl(MethodImplOptions.NoInlining)] private static int LeftOf(ILeft l) => l.Value();
        [MethodImpl(MethodImplOptions.NoInlining)] private static int RightOf(IRight r) => r.Value();

        private static void ExplicitImplementations(TestContext t)
        {
            var both = new Both();
            var left = new LeftOnly();
            var right = new RightOnly();
            ulong before = Resolved();
            t.Equal(1, LeftOf(both), "explicit ILeft.Value");
            t.Equal(2, RightOf(both), "explicit IRight.Value");
            t.Equal(3, Opaque.Ref(both).Value(), "the public method is a third one");
            t.Equal(10, LeftOf(left), "implicit ILeft on another class");
            t.Equal(20, RightOf(right), "explicit IRight on another class");
            t.True(Resolved() - before >= 1, "the four interface calls were dispatched by the resolver (call sites already resolved for a type dispatch through their cell)");
            Heap.Free(both); Heap.Free(left); Heap.Free(right);
        }

        private interface ISource<T> { T Get(int i); int Count { get; } }
        private sealed class Squares : ISource<int> { public int Get(int i) => i * i; public int Count => 4; }
        private sealed class Ones : ISource<int> { public int Get(int i) => 1; public int Count => 3; }
        private sealed class Words : ISource<string>
        {
            public string Get(int i) => i == 0 ? "zero" : "many";
            public int Count => 2;
        }
        private sealed class Repeat<T> : ISource<T>
        {
            private readonly T _value; private readonly int _n;
            public Repeat(T value, int n) { _value = value; _n = n; }
            public T Get(int i) => _value;
            public int Count => _n;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static long Sum(ISource<int> s)
        {
            long total = 0;
            for (int i = 0; i < s.Count; i++) total += s.Get(i);
            return total;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static T Last<T>(ISource<T> s) => s.Get(s.Count - 1);

        private static void GenericInterface(TestContext t)
        {
            var sq = new Squares();
            var ones = new Ones();
            var rep = new Repeat<int>(7, 5);
            var words = new Words();
            var srep = new Repeat<string>("r", 2);
            ulong before = Resolved();
            t.Equal(0 + 1 + 4 + 9, Sum(sq), "ISource<int> on Squares");
            t.Equal(3, Sum(ones), "ISource<int> on Ones");
            t.Equal(35, Sum(rep), "ISource<int> on Repeat<int>");
            t.True(Last(words) == "many", "ISource<string> on Words");
            t.True(Last(srep) == "r", "ISource<string> on Repeat<string>");
            t.Equal(7, Last<int>(rep), "generic method over ISource<int>");
            t.True(Resolved() - before >= 20, "generic interface calls were dispatched by the resolver");
            Heap.Free(sq); Heap.Free(ones); Heap.Free(rep); Heap.Free(words); Heap.Free(srep);
        }

        private interface IBase { int A(); }
        private interface IDerived : IBase { int B(); }
        private sealed class Impl1 : IDerived { public int A() => 1; public int B() => 2; }
        private sealed class Impl2 : IDerived { public int A() => 10; public int B() => 20; }

        [MethodImpl(MethodImplOptions.NoInlining)] private static int ViaDerived(IDerived d) => d.A() + d.B();
        [MethodImpl(MethodImplOptions.NoInlining)] private static int ViaBase(IBase b) => b.A();

        private static void InterfaceInheritance(TestContext t)
        {
            var i1 = new Impl1();
            var i2 = new Impl2();
            ulong before = Resolved();
            t.Equal(3, ViaDerived(i1), "base-interface method through a derived interface (1)");
            t.Equal(30, ViaDerived(i2), "base-interface method through a derived interface (2)");
            t.Equal(10, ViaBase(i2), "through the base interface");
            t.True(Resolved() - before >= 1, "dispatched by the resolver (call sites already resolved for a type dispatch through their cell)");
            Heap.Free(i1); Heap.Free(i2);
        }

        /// <summary>
        /// Eight more implementers of every interface above. With few implementers
        /// ilc turns an interface call into type checks and direct calls; these make
        /// the set too large for that, so the calls in this file reach the resolver.
        /// </summary>
        private sealed class Filler<T> : IArea, INamed, IScaled, ICounter, IGreeter, ILeft, IRight, ISource<int>, ISource<string>, IDerived
        {
            public int Id;
            public int Area() => 1000 + Id;
            public string Name() => "filler";
            public int Scale(int f) => Id * f;
            public int Next() => Id + 1;
            public int Peek() => Id;
            public string Greet() => "filler";
            int ILeft.Value() => -Id;
            int IRight.Value() => -2 * Id;
            int ISource<int>.Get(int i) => Id;
            int ISource<int>.Count => 1;
            string ISource<string>.Get(int i) => "filler";
            int ISource<string>.Count => 1;
            public int A() => Id;
            public int B() => 2 * Id;
        }

        /// <summary>How many interface calls the resolver has handled so far.</summary>
        private static ulong Resolved() => InterfaceDispatch.Hits + InterfaceDispatch.Misses;

        private static object[] MakeFillers()
        {
            var all = new object[8];
            all[0] = new Filler<byte> { Id = 0 }; all[1] = new Filler<sbyte> { Id = 1 };
            all[2] = new Filler<short> { Id = 2 }; all[3] = new Filler<ushort> { Id = 3 };
            all[4] = new Filler<int> { Id = 4 }; all[5] = new Filler<uint> { Id = 5 };
            all[6] = new Filler<long> { Id = 6 }; all[7] = new Filler<ulong> { Id = 7 };
            return all;
        }

        private static void FreeAll(object[] all)
        {
            for (int i = 0; i < all.Length; i++) Heap.Free(all[i]);
            Heap.Free(all);
        }

        private static void ManyImplementers(TestContext t)
        {
            object[] all = MakeFillers();
            ulong before = Resolved();
            long area = 0, scaled = 0, left = 0, derived = 0;
            for (int i = 0; i < all.Length; i++)
            {
                area += AreaOf((IArea)all[i]);
                scaled += ScaleOf((IScaled)all[i], 3);
                left += LeftOf((ILeft)all[i]);
                derived += ViaDerived((IDerived)all[i]);
            }
            t.Equal(8 * 1000 + 28, area, "IArea on eight generic instantiations");
            t.Equal(3 * 28, scaled, "IScaled with an argument");
            t.Equal(-28, left, "explicit ILeft");
            t.Equal(3 * 28, derived, "IDerived and its base IBase");
            t.True(NameOf((INamed)all[5]) == "filler" && GreetOf((IGreeter)all[6]) == "filler", "string results");
            t.True(Resolved() - before >= 8 * 5, "every call went through the interface resolver");
            FreeAll(all);
        }

        private static void CacheHits(TestContext t)
        {
            var box = new Box(1, 2);
            var disc = new Disc();
            AreaOf(disc);               // the call site has seen two types
            AreaOf(box);                // warm: the (site, Box) pair is now cached
            ulong hits = InterfaceDispatch.Hits, misses = InterfaceDispatch.Misses;
            long total = 0;
            for (int i = 0; i < 1000; i++) total += AreaOf(box);
            ulong dh = InterfaceDispatch.Hits - hits, dm = InterfaceDispatch.Misses - misses;
            t.Equal(2000, total, "1000 calls returned the right value");
            t.True(dh >= 999, "the hot call hit the dispatch cache");
            t.True(dm <= 1, "the hot call missed at most once");
            t.Equal(1000, (long)(dh + dm), "every call went through the resolver");
            Heap.Free(box); Heap.Free(disc);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static int LineArea(IArea a) => a.Area();

        private static void MonomorphicSite(TestContext t)
        {
            var line = new Line();
            ulong before = Resolved(), cells = InterfaceDispatch.CellsCached;
            long total = 0;
            for (int i = 0; i < 1000; i++) total += LineArea(line);
            t.Equal(0, total, "the right target every time");
            t.True(Resolved() - before <= 1, "after the first call the site's cell dispatches by itself");
            t.True(InterfaceDispatch.CellsCached >= cells, "cells are rewritten, never reverted");
            Heap.Free(line);
        }

        private static void PolymorphicSite(TestContext t)
        {
            IArea[] shapes = { new Box(2, 2), new Disc(), new Line(), new Box(1, 5) };
            ulong misses = InterfaceDispatch.Misses;
            long total = 0;
            for (int round = 0; round < 250; round++)
                for (int i = 0; i < shapes.Length; i++) total += AreaOf(shapes[i]);
            ulong dm = InterfaceDispatch.Misses - misses;
            t.Equal(250 * (4 + 3 + 0 + 5), total, "one call site, three classes, right targets");
            t.True(dm <= 3, "misses bounded by the number of distinct types");
            for (int i = 0; i < shapes.Length; i++) Heap.Free(shapes[i]);
            Heap.Free(shapes);
        }
    }
}
