namespace System.Runtime.CompilerServices
{
    /// <summary>ilc implements these as intrinsics; the bodies are never run.</summary>
    public static unsafe class Unsafe
    {
        [Intrinsic] public static extern ref T Add<T>(ref T source, int elementOffset);
        [Intrinsic] public static extern ref T Add<T>(ref T source, nint elementOffset);
        [Intrinsic] public static extern ref T AddByteOffset<T>(ref T source, nint byteOffset);
        [Intrinsic] public static extern ref TTo As<TFrom, TTo>(ref TFrom source);
        [Intrinsic] public static extern T As<T>(object o) where T : class;
        [Intrinsic] public static extern void* AsPointer<T>(ref T value);
        [Intrinsic] public static extern ref T AsRef<T>(void* source);
        [Intrinsic] public static extern ref T AsRef<T>(ref readonly T source);
        [Intrinsic] public static extern int SizeOf<T>();
        [Intrinsic] public static extern nint ByteOffset<T>(ref readonly T origin, ref readonly T target);
        [Intrinsic] public static extern bool AreSame<T>(ref readonly T left, ref readonly T right);
        [Intrinsic] public static extern T ReadUnaligned<T>(void* source);
        [Intrinsic] public static extern void WriteUnaligned<T>(void* destination, T value);
        [Intrinsic] public static extern bool IsNullRef<T>(ref readonly T source);
        [Intrinsic] public static extern ref T NullRef<T>();
    }

    public static class RuntimeHelpers
    {
        public static unsafe int OffsetToStringData => sizeof(nint) + sizeof(int);

        [Intrinsic]
        public static extern bool IsReferenceOrContainsReferences<T>();

        /// <summary>
        /// ilc expands real calls in place; this body exists because multifile
        /// mode compiles every method, and it is reached only through reflection.
        /// </summary>
        [Intrinsic]
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle) =>
            Molt.Diagnostics.Panic.Fail("RuntimeHelpers.InitializeArray is not supported at run time");
    }

    /// <summary>
    /// The first byte of an object's fields. One shared class: ilc's
    /// multifile mode looks it up by this name, and private nested copies
    /// would be separate types.
    /// </summary>
    internal sealed class RawData
    {
        public byte Data;
    }

    /// <summary>The layout of an array object after its MethodTable pointer.</summary>
    internal sealed class RawArrayData
    {
        public uint Length;
        public uint Padding;
        public byte Data;
    }
}
