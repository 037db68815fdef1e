using System.Runtime.CompilerServices;

namespace System
{
    /// <summary>
    /// Base of every struct. Equals and GetHashCode on a boxed value compare
    /// and hash its field bytes, like .NET's fast path for structs without
    /// references: same type and same bytes means equal. Reference fields are
    /// compared by identity, and padding inside a struct counts (C# zeroes it
    /// when locals are initialized, as csc does by default).
    /// </summary>
    public abstract unsafe class ValueType
    {
        public override bool Equals(object obj)
        {
            if (obj == null || obj.m_pEEType != m_pEEType) return false;
            byte* a = DataOf(this), b = DataOf(obj);
            uint size = m_pEEType->ValueTypeSize;
            for (uint i = 0; i < size; i++)
                if (a[i] != b[i]) return false;
            return true;
        }

        public override int GetHashCode()
        {
            byte* a = DataOf(this);
            uint size = m_pEEType->ValueTypeSize;
            uint h = 2166136261;
            for (uint i = 0; i < size; i++) h = (h ^ a[i]) * 16777619;
            return (int)h;
        }

        private static byte* DataOf(object box) => (byte*)Unsafe.AsPointer(ref Unsafe.As<RawData>(box).Data);
    }

    public abstract class Enum : ValueType { }
    public struct Nullable<T> where T : struct
    {
        private readonly bool hasValue;
        internal T value;
        public Nullable(T value) { this.value = value; hasValue = true; }
        public bool HasValue => hasValue;
        public T Value
        {
            get
            {
                if (!hasValue) Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowInvalidOperationException();
                return value;
            }
        }
        public T GetValueOrDefault() => value;
        public static implicit operator T?(T value) => new T?(value);
        public static explicit operator T(T? value) => value.Value;
    }
}
