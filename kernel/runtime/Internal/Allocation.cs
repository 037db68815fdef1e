using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    /// <summary>
    /// The allocation helpers ilc calls for <c>new</c>. Memory comes from the
    /// kernel heap (<see cref="Molt.Memory.Heap"/>) and is zeroed. There is no
    /// collector: the owner of an object frees it with <c>Heap.Free</c>.
    /// Running out of memory is a panic naming the size asked for.
    /// </summary>
    internal static unsafe class Allocation
    {
        [RuntimeExport("RhpNewFast")]
        internal static void* RhpNewFast(MethodTable* mt)
        {
            void** obj = (void**)Molt.Memory.Heap.AllocateOrPanic(mt->_uBaseSize);
            *obj = mt;
            return obj;
        }

        [RuntimeExport("RhpNewFinalizable")]
        internal static void* RhpNewFinalizable(MethodTable* mt) => RhpNewFast(mt);

        [RuntimeExport("RhpNewArray")]
        internal static void* RhpNewArray(MethodTable* mt, int length) => NewArrayLike(mt, length);

        [RuntimeExport("RhpNewArrayFast")]
        internal static void* RhpNewArrayFast(MethodTable* mt, int length) => NewArrayLike(mt, length);

        [RuntimeExport("RhpNewPtrArrayFast")]
        internal static void* RhpNewPtrArrayFast(MethodTable* mt, int length) => NewArrayLike(mt, length);

        [RuntimeExport("RhNewString")]
        internal static void* RhNewString(MethodTable* mt, int length) => NewArrayLike(mt, length);

        [RuntimeExport("RhpNewFastAlign8")]
        internal static void* RhpNewFastAlign8(MethodTable* mt) => RhpNewFast(mt);

        /// <summary>Allocates an array or string of <paramref name="length"/> elements.</summary>
        internal static void* NewArrayLike(MethodTable* mt, int length)
        {
            if (length < 0)
                Molt.Diagnostics.Panic.Fail("OverflowException: negative array length");
            ulong size = mt->_uBaseSize + (ulong)length * mt->ComponentSize;
            size = (size + 7) & ~7UL;
            if (size > 0x7FFF_FFFF)
                Molt.Diagnostics.Panic.Fail("OutOfMemoryException: array too large");
            void** obj = (void**)Molt.Memory.Heap.AllocateOrPanic((uint)size);
            *obj = mt;
            *(int*)(obj + 1) = length;
            return obj;
        }
    }
}
