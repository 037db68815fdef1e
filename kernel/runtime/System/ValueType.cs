namespace System
{
    public abstract class ValueType { }
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
