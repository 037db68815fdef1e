using System.Runtime.CompilerServices;

namespace Molt.Memory
{
    /// <summary>
    /// Object references as plain addresses, for per-CPU blocks and other
    /// unmanaged structures. Safe only because nothing moves or collects
    /// objects; the holder of an address does not own the object.
    /// </summary>
    public static unsafe class ObjectRef
    {
        public static nint AddressOf(object o) => Unsafe.As<object, nint>(ref o);

        public static T FromAddress<T>(nint address) where T : class
        {
            object o = Unsafe.As<nint, object>(ref address);
            return Unsafe.As<T>(o);
        }
    }
}
