using System;
using System.Runtime.CompilerServices;

namespace Molt.Tests
{
    /// <summary>
    /// Identity functions the optimizer cannot see through, so tests exercise
    /// real dispatch, casts and bounds instead of constants folded at compile time.
    /// </summary>
    internal static class Opaque
    {
        [MethodImpl(MethodImplOptions.NoInlining)] public static T Ref<T>(T value) where T : class => value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static object Obj(object value) => value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static int Int(int value) => value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static long Long(long value) => value;
    }

    internal static class Chars
    {
        /// <summary>True when the first <paramref name="count"/> chars of <paramref name="buffer"/> spell <paramref name="expected"/>.</summary>
        public static bool Same(string expected, Span<char> buffer, int count)
        {
            if (count < 0 || count > buffer.Length) return false;
            return expected.Equals((ReadOnlySpan<char>)buffer.Slice(0, count));
        }
    }
}
