using System.Runtime.CompilerServices;

namespace System
{
    /// <summary>Base of every array. Arrays come from the kernel heap and are freed by their owner.</summary>
    public abstract class Array
    {
#pragma warning disable 649
        private readonly int _length;
#pragma warning restore 649
        public int Length => _length;

        public static void Copy<T>(T[] source, int sourceIndex, T[] destination, int destinationIndex, int length)
        {
            new ReadOnlySpan<T>(source, sourceIndex, length).CopyTo(new Span<T>(destination, destinationIndex, length));
        }

        public static void Clear<T>(T[] array) => new Span<T>(array).Clear();
    }

    // ilc models T[] as deriving from Array<T>.
    internal class Array<T> : Array { }
}
