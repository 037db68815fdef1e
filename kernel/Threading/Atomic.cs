using System.Threading;

namespace Molt.Threading
{
    /// <summary>Atomic read-modify-write on machine words, for kernel code that must not take locks.</summary>
    public static class Atomic
    {
        public static nint Exchange(ref nint location, nint value)
            => (nint)Interlocked.Exchange(ref System.Runtime.CompilerServices.Unsafe.As<nint, long>(ref location), (long)value);

        public static nint CompareExchange(ref nint location, nint value, nint comparand)
            => (nint)Interlocked.CompareExchange(ref System.Runtime.CompilerServices.Unsafe.As<nint, long>(ref location), (long)value, (long)comparand);

        public static long Add(ref long location, long value) => Interlocked.Add(ref location, value);
        public static int Add(ref int location, int value) => Interlocked.Add(ref location, value);
        public static int CompareExchange(ref int location, int value, int comparand) => Interlocked.CompareExchange(ref location, value, comparand);
        public static long CompareExchange(ref long location, long value, long comparand) => Interlocked.CompareExchange(ref location, value, comparand);
    }
}
