using System;
using System.Runtime;
using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// Runtime exports ilc-generated code calls that have no work to do in a
    /// kernel with no GC and no managed/native transition.
    /// </summary>
    internal static unsafe class TransitionExports
    {
        [RuntimeExport("RhpReversePInvoke")] static void RhpReversePInvoke(nint frame) { }
        [RuntimeExport("RhpReversePInvokeReturn")] static void RhpReversePInvokeReturn(nint frame) { }
        [RuntimeExport("RhpPInvoke")] static void RhpPInvoke(nint frame) { }
        [RuntimeExport("RhpPInvokeReturn")] static void RhpPInvokeReturn(nint frame) { }
        [RuntimeExport("RhpGcPoll")] static void RhpGcPoll() { }
        [RuntimeExport("RhpFallbackFailFast")] static void RhpFallbackFailFast() => Molt.Diagnostics.Panic.Fail("runtime fail-fast");

        /// <summary>A C# throw: Molt panics with the exception's type and message.</summary>
        [RuntimeExport("RhpThrowEx")]
        static void RhpThrowEx(Exception ex) => Molt.Diagnostics.Panic.Throw(ex);

        [RuntimeExport("RhpRethrow")]
        static void RhpRethrow() => Molt.Diagnostics.Panic.Fail("rethrow");
    }

    internal static class MathExports
    {
        /// <summary>Floating remainder for C# <c>%</c> on doubles: x - trunc(x/y)*y.</summary>
        [RuntimeExport("fmod")]
        static double FMod(double x, double y)
        {
            if (y == 0) return 0.0 / 0.0;
            double q = x / y;
            double t = q >= 0 ? (double)(long)q : -(double)(long)-q;
            return x - t * y;
        }

        [RuntimeExport("fmodf")]
        static float FModF(float x, float y) => (float)FMod(x, y);
    }
}

namespace System
{
    public static partial class Math
    {
        public static int Min(int a, int b) => a < b ? a : b;
        public static int Max(int a, int b) => a > b ? a : b;
        public static ulong Min(ulong a, ulong b) => a < b ? a : b;
        public static ulong Max(ulong a, ulong b) => a > b ? a : b;
        public static long Min(long a, long b) => a < b ? a : b;
        public static long Max(long a, long b) => a > b ? a : b;
        public static int Abs(int a) => a < 0 ? -a : a;

        private static int ConvertToInt32Checked(double v)
        {
            if (!(v > -2147483649.0 && v < 2147483648.0)) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
            return (int)v;
        }
        private static uint ConvertToUInt32Checked(double v)
        {
            if (!(v > -1.0 && v < 4294967296.0)) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
            return (uint)v;
        }
        private static long ConvertToInt64Checked(double v)
        {
            if (!(v > -9223372036854777856.0 && v < 9223372036854775808.0)) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
            return (long)v;
        }
        private static ulong ConvertToUInt64Checked(double v)
        {
            if (!(v > -1.0 && v < 18446744073709551616.0)) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowOverflowException();
            return (ulong)v;
        }
    }

    public static unsafe class Buffer
    {
        /// <summary>Copies memory; no write barrier is needed without a GC.</summary>
        internal static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint byteCount)
            => SpanHelpers.Memmove(ref destination, ref source, byteCount);

        public static void MemoryCopy(void* source, void* destination, long destinationSizeInBytes, long sourceBytesToCopy)
            => SpanHelpers.Memmove(ref *(byte*)destination, ref *(byte*)source, (nuint)sourceBytesToCopy);
    }

    internal static unsafe class SpanHelpers
    {
        /// <summary>memmove: copies forward or backward so overlapping ranges are safe.</summary>
        internal static void Memmove(ref byte destination, ref byte source, nuint length)
        {
            byte* d = (byte*)Unsafe.AsPointer(ref destination);
            byte* s = (byte*)Unsafe.AsPointer(ref source);
            if (d == s || length == 0) return;
            if (d < s || d >= s + length)
            {
                nuint i = 0;
                for (; i + 8 <= length; i += 8) *(ulong*)(d + i) = *(ulong*)(s + i);
                for (; i < length; i++) d[i] = s[i];
            }
            else
            {
                nuint i = length;
                while (i >= 8) { i -= 8; *(ulong*)(d + i) = *(ulong*)(s + i); }
                while (i > 0) { i--; d[i] = s[i]; }
            }
        }

        internal static void Fill(ref byte destination, nuint length, byte value)
        {
            byte* d = (byte*)Unsafe.AsPointer(ref destination);
            ulong pattern = value * 0x0101010101010101UL;
            nuint i = 0;
            for (; i + 8 <= length; i += 8) *(ulong*)(d + i) = pattern;
            for (; i < length; i++) d[i] = value;
        }

        internal static void ClearWithoutReferences(ref byte destination, nuint length) => Fill(ref destination, length, 0);
        internal static void ClearWithReferences(ref nint destination, nuint pointerCount)
            => Fill(ref Unsafe.As<nint, byte>(ref destination), pointerCount * (nuint)sizeof(nint), 0);
    }
}

namespace System.Runtime.InteropServices
{
    /// <summary>Required by ilc to exist; Molt does not support dynamic interface casting.</summary>
    public unsafe interface IDynamicInterfaceCastable
    {
        private static nint GetDynamicInterfaceImplementation(object instance, Internal.Runtime.MethodTable* interfaceType, ushort slot)
        {
            Molt.Diagnostics.Panic.Fail("IDynamicInterfaceCastable is not supported");
            return 0;
        }
    }
}

namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// The ldtoken helpers ilc's scanner requires once any method loads a
    /// field token, which C# emits for every constant array initializer
    /// (<c>int[] a = { 1, 2, 3 };</c>). The JIT expands the
    /// ldtoken + RuntimeHelpers.InitializeArray pair into a copy of the
    /// field's data, so these are only reached by an explicit ldtoken.
    /// </summary>
    internal static class LdTokenHelpers
    {
        private static RuntimeFieldHandle GetRuntimeFieldHandle(nint handle)
        {
            RuntimeFieldHandle result;
            result._value = handle;
            return result;
        }
    }
}
