using System.Runtime.CompilerServices;

namespace System.Threading
{
    /// <summary>Atomic operations; the JIT expands these intrinsics into lock-prefixed or LSE/LL-SC instructions.</summary>
    public static class Interlocked
    {
        [Intrinsic] public static int CompareExchange(ref int location1, int value, int comparand) => CompareExchange(ref location1, value, comparand);
        [Intrinsic] public static long CompareExchange(ref long location1, long value, long comparand) => CompareExchange(ref location1, value, comparand);
        [Intrinsic] public static int Exchange(ref int location1, int value) => Exchange(ref location1, value);
        [Intrinsic] public static long Exchange(ref long location1, long value) => Exchange(ref location1, value);
        [Intrinsic] public static int ExchangeAdd(ref int location1, int value) => ExchangeAdd(ref location1, value);
        [Intrinsic] public static long ExchangeAdd(ref long location1, long value) => ExchangeAdd(ref location1, value);
        public static int Increment(ref int location) => ExchangeAdd(ref location, 1) + 1;
        public static long Increment(ref long location) => ExchangeAdd(ref location, 1) + 1;
        public static int Decrement(ref int location) => ExchangeAdd(ref location, -1) - 1;
        public static long Decrement(ref long location) => ExchangeAdd(ref location, -1) - 1;
        public static int Add(ref int location, int value) => ExchangeAdd(ref location, value) + value;
        public static long Add(ref long location, long value) => ExchangeAdd(ref location, value) + value;
        [Intrinsic] public static void MemoryBarrier() => MemoryBarrier();
        /// <summary>Compare-and-swap of an object reference (objects never move, so the reference is its address).</summary>
        public static T CompareExchange<T>(ref T location1, T value, T comparand) where T : class
        {
            nint old = CompareExchange(ref Unsafe.As<T, nint>(ref location1), Unsafe.As<T, nint>(ref value), Unsafe.As<T, nint>(ref comparand));
            return Unsafe.As<nint, T>(ref old);
        }
        public static nint CompareExchange(ref nint location1, nint value, nint comparand)
            => (nint)CompareExchange(ref Unsafe.As<nint, long>(ref location1), (long)value, (long)comparand);
        public static nint Exchange(ref nint location1, nint value)
            => (nint)Exchange(ref Unsafe.As<nint, long>(ref location1), (long)value);
    }

    /// <summary>Acquire loads and release stores, through volatile fields the JIT orders.</summary>
    public static class Volatile
    {
        private struct VolatileInt32 { public volatile int Value; }
        public static int Read(ref readonly int location) => Unsafe.As<int, VolatileInt32>(ref Unsafe.AsRef(in location)).Value;
        public static long Read(ref readonly long location) { long v = location; Interlocked.MemoryBarrier(); return v; }
        public static void Write(ref int location, int value) => Unsafe.As<int, VolatileInt32>(ref location).Value = value;
        public static void Write(ref long location, long value) { Interlocked.MemoryBarrier(); location = value; }
        public static nint Read(ref readonly nint location) => (nint)Read(in Unsafe.As<nint, long>(ref Unsafe.AsRef(in location)));
        public static void Write(ref nint location, nint value) => Write(ref Unsafe.As<nint, long>(ref location), (long)value);
        /// <summary>A release store of an object reference.</summary>
        public static void Write<T>(ref T location, T value) where T : class => Write(ref Unsafe.As<T, nint>(ref location), Unsafe.As<T, nint>(ref value));
    }
}
