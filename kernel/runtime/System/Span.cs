using System.Runtime.CompilerServices;
using Internal.Runtime.CompilerHelpers;

namespace System
{
    public readonly ref struct Span<T>
    {
        internal readonly ref T _reference;
        private readonly int _length;

        public Span(T[] array)
        {
            if (array == null) { this = default; return; }
            _reference = ref Unsafe.As<byte, T>(ref Unsafe.As<RawArrayData>(array).Data);
            _length = array.Length;
        }

        public Span(T[] array, int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)array.Length)
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            _reference = ref Unsafe.Add(ref Unsafe.As<byte, T>(ref Unsafe.As<RawArrayData>(array).Data), start);
            _length = length;
        }

        public unsafe Span(void* pointer, int length)
        {
            _reference = ref Unsafe.AsRef<T>(pointer);
            _length = length;
        }

        internal Span(ref T reference, int length)
        {
            _reference = ref reference;
            _length = length;
        }

        public ref T this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_length) ThrowHelpers.ThrowIndexOutOfRangeException();
                return ref Unsafe.Add(ref _reference, index);
            }
        }

        public int Length => _length;
        public bool IsEmpty => _length == 0;

        /// <summary>For <c>fixed (T* p = span)</c>: the first element, or a null ref when empty.</summary>
        public ref T GetPinnableReference() => ref _length != 0 ? ref _reference : ref Unsafe.NullRef<T>();

        public Span<T> Slice(int start)
        {
            if ((uint)start > (uint)_length) ThrowHelpers.ThrowArgumentOutOfRangeException();
            return new Span<T>(ref Unsafe.Add(ref _reference, start), _length - start);
        }

        public Span<T> Slice(int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)_length) ThrowHelpers.ThrowArgumentOutOfRangeException();
            return new Span<T>(ref Unsafe.Add(ref _reference, start), length);
        }

        public void Clear()
        {
            for (int i = 0; i < _length; i++) Unsafe.Add(ref _reference, i) = default;
        }

        public void Fill(T value)
        {
            for (int i = 0; i < _length; i++) Unsafe.Add(ref _reference, i) = value;
        }

        public void CopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length) ThrowHelpers.ThrowArgumentException();
            ((ReadOnlySpan<T>)this).CopyTo(destination);
        }

        public static implicit operator ReadOnlySpan<T>(Span<T> span) => new ReadOnlySpan<T>(ref span._reference, span._length);
        public static implicit operator Span<T>(T[] array) => new Span<T>(array);

        public Enumerator GetEnumerator() => new Enumerator(this);

        public ref struct Enumerator
        {
            private readonly Span<T> _span;
            private int _index;
            internal Enumerator(Span<T> span) { _span = span; _index = -1; }
            public bool MoveNext() => ++_index < _span.Length;
            public ref T Current => ref _span[_index];
        }
    }

    public readonly ref struct ReadOnlySpan<T>
    {
        internal readonly ref T _reference;
        private readonly int _length;

        public ReadOnlySpan(T[] array)
        {
            if (array == null) { this = default; return; }
            _reference = ref Unsafe.As<byte, T>(ref Unsafe.As<RawArrayData>(array).Data);
            _length = array.Length;
        }

        public ReadOnlySpan(T[] array, int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)array.Length)
                ThrowHelpers.ThrowArgumentOutOfRangeException();
            _reference = ref Unsafe.Add(ref Unsafe.As<byte, T>(ref Unsafe.As<RawArrayData>(array).Data), start);
            _length = length;
        }

        public unsafe ReadOnlySpan(void* pointer, int length)
        {
            _reference = ref Unsafe.AsRef<T>(pointer);
            _length = length;
        }

        internal ReadOnlySpan(ref T reference, int length)
        {
            _reference = ref reference;
            _length = length;
        }

        public ref readonly T this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_length) ThrowHelpers.ThrowIndexOutOfRangeException();
                return ref Unsafe.Add(ref _reference, index);
            }
        }

        public int Length => _length;
        public bool IsEmpty => _length == 0;

        /// <summary>For <c>fixed (T* p = span)</c>: the first element, or a null ref when empty.</summary>
        public ref readonly T GetPinnableReference() => ref _length != 0 ? ref _reference : ref Unsafe.NullRef<T>();

        public ReadOnlySpan<T> Slice(int start)
        {
            if ((uint)start > (uint)_length) ThrowHelpers.ThrowArgumentOutOfRangeException();
            return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, start), _length - start);
        }

        public ReadOnlySpan<T> Slice(int start, int length)
        {
            if ((ulong)(uint)start + (ulong)(uint)length > (ulong)(uint)_length) ThrowHelpers.ThrowArgumentOutOfRangeException();
            return new ReadOnlySpan<T>(ref Unsafe.Add(ref _reference, start), length);
        }

        public void CopyTo(Span<T> destination)
        {
            if ((uint)_length > (uint)destination.Length) ThrowHelpers.ThrowArgumentException();
            // Like memmove: when the destination starts after the source, copy from the end,
            // so overlapping ranges (Array.Copy within one array) are copied correctly.
            if (Unsafe.ByteOffset(ref _reference, ref destination._reference) > 0)
                for (int i = _length - 1; i >= 0; i--) Unsafe.Add(ref destination._reference, i) = Unsafe.Add(ref _reference, i);
            else
                for (int i = 0; i < _length; i++) Unsafe.Add(ref destination._reference, i) = Unsafe.Add(ref _reference, i);
        }

        public static implicit operator ReadOnlySpan<T>(T[] array) => new ReadOnlySpan<T>(array);

        public Enumerator GetEnumerator() => new Enumerator(this);

        public ref struct Enumerator
        {
            private readonly ReadOnlySpan<T> _span;
            private int _index;
            internal Enumerator(ReadOnlySpan<T> span) { _span = span; _index = -1; }
            public bool MoveNext() => ++_index < _span.Length;
            public ref readonly T Current => ref _span[_index];
        }
    }
}
