using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>is / as / casts on classes, interfaces and arrays; every failing path is a non-throwing one.</summary>
    internal static unsafe class CastTests
    {
        public static void Register()
        {
            TestRunner.Add("casts.is_on_class_hierarchy", &IsHierarchy);
            TestRunner.Add("casts.as_returns_null_on_mismatch", &AsMismatch);
            TestRunner.Add("casts.explicit_cast_success", &ExplicitCast);
            TestRunner.Add("casts.interfaces", &Interfaces);
            TestRunner.Add("casts.null_handling", &NullHandling);
            TestRunner.Add("casts.array_covariance", &ArrayCovariance);
            TestRunner.Add("casts.type_patterns_in_switch", &TypePatterns);
        }

        private interface IPet { string Sound(); }
        private interface IWild { }
        private class Animal { public int Legs = 4; }
        private class Dog : Animal, IPet { public string Sound() => "woof"; }
        private sealed class Puppy : Dog { }
        private sealed class Cat : Animal, IPet { public string Sound() => "meow"; }
        private sealed class Wolf : Animal, IWild { }
        private sealed class Snake { }

        private static void IsHierarchy(TestContext t)
        {
            object puppy = Opaque.Obj(new Puppy()), cat = Opaque.Obj(new Cat()), snake = Opaque.Obj(new Snake());
            t.True(puppy is Puppy && puppy is Dog && puppy is Animal && puppy is object, "a Puppy is all its bases");
            t.True(!(cat is Dog), "a Cat is not a Dog");
            t.True(!(snake is Animal), "an unrelated class is not an Animal");
            t.True(cat is Animal, "a Cat is an Animal");
            t.True(!(Opaque.Obj(new Animal()) is Dog), "a base is not its derived");
            Heap.Free(puppy); Heap.Free(cat); Heap.Free(snake);
        }

        private static void AsMismatch(TestContext t)
        {
            object cat = Opaque.Obj(new Cat());
            t.True(cat as Dog == null, "as Dog on a Cat is null");
            t.True(cat as Snake == null, "as Snake on a Cat is null");
            t.True(cat as string == null, "as string on a Cat is null");
            t.True((object)(cat as Animal) == cat, "as Animal returns the same reference");
            Heap.Free(cat);
        }

        private static void ExplicitCast(TestContext t)
        {
            Animal a = Opaque.Ref<Animal>(new Puppy());
            Dog d = (Dog)a;
            Puppy p = (Puppy)Opaque.Obj(a);
            t.True((object)d == (object)p, "casts keep identity");
            t.Equal(4, ((Animal)(object)p).Legs, "fields through the upcast");
            t.True(((Dog)a).Sound() == "woof", "method after a downcast");
            string s = (string)Opaque.Obj("text");
            t.Equal(4, s.Length, "object to string");
            Heap.Free(a);
        }

        private static void Interfaces(TestContext t)
        {
            object dog = Opaque.Obj(new Dog()), cat = Opaque.Obj(new Cat()), wolf = Opaque.Obj(new Wolf());
            t.True(dog is IPet && cat is IPet, "implementers are IPet");
            t.True(!(wolf is IPet), "a Wolf is not an IPet");
            t.True(wolf is IWild && !(dog is IWild), "IWild only on the Wolf");
            t.True(wolf as IPet == null, "as IPet on a Wolf is null");
            IPet pet = (IPet)cat;
            t.True(pet.Sound() == "meow", "call through an explicit interface cast");
            object puppy = Opaque.Obj(new Puppy());
            t.True(puppy is IPet, "interface inherited from the base class");
            t.True(((IPet)puppy).Sound() == "woof", "inherited implementation after the cast");
            Heap.Free(dog); Heap.Free(cat); Heap.Free(wolf); Heap.Free(puppy);
        }

        private static void NullHandling(TestContext t)
        {
            object nothing = Opaque.Obj(null);
            t.True(!(nothing is object), "null is not object");
            t.True(!(nothing is Animal) && !(nothing is IPet), "null is nothing");
            t.True(nothing as Animal == null && nothing as IPet == null, "null as X is null");
            Animal a = (Animal)nothing;
            IPet p = (IPet)nothing;
            string s = (string)nothing;
            t.True(a == null && p == null && (object)s == null, "casting null succeeds and gives null");
        }

        private static void ArrayCovariance(TestContext t)
        {
            string[] strings = new string[3];
            object[] objects = strings;
            objects[0] = "zero";
            objects[2] = Opaque.Ref("two");
            t.True(strings[0] == "zero" && strings[2] == "two", "stores through object[] land in the string[]");
            object o = Opaque.Obj(strings);
            t.True(o is string[] && o is object[], "string[] is object[]");
            t.True(!(o is Animal[]), "string[] is not Animal[]");
            object ints = Opaque.Obj(new int[2]);
            t.True(ints is int[] && !(ints is object[]), "int[] is not covariant with object[]");
            t.True(!(ints is long[]), "int[] is not long[]");
            object dogs = Opaque.Obj(new Dog[1]);
            t.True(dogs is Animal[] && !(dogs is Cat[]), "Dog[] is Animal[] and not Cat[]");
            t.True(dogs is IPet[], "Dog[] is IPet[]");
            object mixed = Opaque.Obj(new object[] { "a", 1 });
            t.True(!(mixed is string[]), "object[] holding strings is not a string[]");
            object[] m = (object[])mixed;
            t.True(m[0] is string && !(m[1] is string), "elements keep their own types");
            Heap.Free(strings); Heap.Free(ints); Heap.Free(dogs); Heap.Free(m[1]); Heap.Free(mixed);
        }

        private static int Classify(object o)
        {
            switch (o)
            {
                case null: return 0;
                case Puppy _: return 1;
                case Dog _: return 2;
                case IPet _: return 3;
                case Animal a when a.Legs == 4: return 4;
                case string s: return 10 + s.Length;
                default: return -1;
            }
        }

        private static void TypePatterns(TestContext t)
        {
            object puppy = new Puppy(), dog = new Dog(), cat = new Cat(), wolf = new Wolf(), snake = new Snake();
            t.Equal(0, Classify(Opaque.Obj(null)), "null");
            t.Equal(1, Classify(Opaque.Obj(puppy)), "Puppy before Dog");
            t.Equal(2, Classify(Opaque.Obj(dog)), "Dog");
            t.Equal(3, Classify(Opaque.Obj(cat)), "Cat via IPet");
            t.Equal(4, Classify(Opaque.Obj(wolf)), "Wolf via Animal with a guard");
            t.Equal(13, Classify(Opaque.Obj("abc")), "string pattern binds");
            t.Equal(-1, Classify(Opaque.Obj(snake)), "default");
            Heap.Free(puppy); Heap.Free(dog); Heap.Free(cat); Heap.Free(wolf); Heap.Free(snake);
        }
    }
}
