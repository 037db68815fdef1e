// The primitive types the compiler and ilc know by name. They carry only the
// members kernel code uses; nothing here allocates.
namespace System
{
    public struct Void { }
    public struct Boolean { public override string ToString() => null; }
    public struct Char { public const char MaxValue = (char)0xFFFF; }
    public struct SByte { }
    public struct Byte { public const byte MaxValue = 255; }
    public struct Int16 { }
    public struct UInt16 { public const ushort MaxValue = 0xFFFF; }
    public struct Int32
    {
        public const int MaxValue = 0x7fffffff;
        public const int MinValue = unchecked((int)0x80000000);
    }
    public struct UInt32 { public const uint MaxValue = 0xffffffff; }
    public struct Int64
    {
        public const long MaxValue = 0x7fffffffffffffffL;
        public const long MinValue = unchecked((long)0x8000000000000000L);
    }
    public struct UInt64 { public const ulong MaxValue = 0xffffffffffffffffUL; }
    public unsafe struct IntPtr
    {
        private void* _value;
        public static readonly IntPtr Zero;
        public IntPtr(void* value) { _value = value; }
        public IntPtr(long value) { _value = (void*)value; }
        public static int Size => sizeof(void*);
        public void* ToPointer() => _value;
        public static explicit operator IntPtr(void* value) => new IntPtr(value);
        public static explicit operator void*(IntPtr value) => value._value;
        public static explicit operator long(IntPtr value) => (long)value._value;
        public static explicit operator IntPtr(long value) => new IntPtr(value);
        public static bool operator ==(IntPtr a, IntPtr b) => a._value == b._value;
        public static bool operator !=(IntPtr a, IntPtr b) => a._value != b._value;
        public override bool Equals(object o) => o is IntPtr p && p._value == _value;
        public override int GetHashCode() => (int)(long)_value;
    }
    public unsafe struct UIntPtr
    {
        private void* _value;
        public UIntPtr(void* value) { _value = value; }
        public static explicit operator UIntPtr(void* value) => new UIntPtr(value);
        public static explicit operator void*(UIntPtr value) => value._value;
    }
    public struct Single { }
    public struct Double { }
}
