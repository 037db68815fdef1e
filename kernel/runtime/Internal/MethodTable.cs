using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    /// <summary>
    /// The type descriptor ilc 10.0.12 emits for every type (24-byte header,
    /// then the vtable, the interface list and relative pointers). The layout
    /// is pinned by the ILCompiler version in bflat.props.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct MethodTable
    {
        internal uint _uFlags;
        internal uint _uBaseSize;
        internal MethodTable* _relatedType;
        internal ushort _usNumVtableSlots;
        internal ushort _usNumInterfaces;
        internal uint _uHashCode;

        internal const uint HasComponentSizeFlag = 0x80000000;
        internal const uint HasDispatchMapFlag = 0x00040000;
        internal const uint HasSealedVTableEntriesFlag = 0x00400000;
        internal const uint HasFinalizerFlag = 0x00100000;
        internal const uint IsGenericFlag = 0x02000000;
        // Value types only: the low bits that are the component size of arrays
        // hold the box's trailing padding (bits 5-7) and, for Nullable<T>, the
        // log2 of the offset of its value field (bits 8-10).
        internal const int ValueTypePaddingShift = 5;
        internal const int NullableValueOffsetShift = 8;
        internal const uint KindMask = 0x00030000;
        internal const uint ParameterizedKind = 0x00020000;
        internal const uint ElementTypeMask = 0x7C000000;
        internal const int ElementTypeShift = 26;

        internal const uint ElementTypeClass = 0x14;
        internal const uint ElementTypeInterface = 0x15;
        internal const uint ElementTypeArray = 0x17;
        internal const uint ElementTypeSzArray = 0x18;
        internal const uint ElementTypeNullable = 0x12;

        /// <summary>The MethodTable of <typeparamref name="T"/>; ilc expands this intrinsic.</summary>
        [Intrinsic]
        internal static extern MethodTable* Of<T>();

        internal uint ElementType => (_uFlags & ElementTypeMask) >> ElementTypeShift;
        internal bool HasComponentSize => (_uFlags & HasComponentSizeFlag) != 0;
        internal ushort ComponentSize => HasComponentSize ? (ushort)_uFlags : (ushort)0;
        internal bool IsInterface => ElementType == ElementTypeInterface;
        internal bool IsArray => ElementType == ElementTypeArray || ElementType == ElementTypeSzArray;
        internal bool IsValueType => ElementType < ElementTypeClass;
        internal bool IsNullable => ElementType == ElementTypeNullable;
        internal bool IsParameterized => (_uFlags & KindMask) == ParameterizedKind;
        internal MethodTable* BaseType => IsParameterized ? null : _relatedType;
        /// <summary>The element type of an array (for other types this field is the base type).</summary>
        internal MethodTable* RelatedParameterType => _relatedType;

        /// <summary>The size of a value type's fields, without the padding its box adds (an int is 4, not 8).</summary>
        internal uint ValueTypeSize => _uBaseSize - (uint)(2 * sizeof(nint)) - ((_uFlags >> ValueTypePaddingShift) & 7);

        /// <summary>The T of a Nullable&lt;T&gt;: its single generic argument.</summary>
        internal MethodTable* NullableType => GenericArgument0;

        /// <summary>Where the value of a Nullable&lt;T&gt; starts, after the hasValue flag.</summary>
        internal int NullableValueOffset => 1 << (int)((_uFlags >> NullableValueOffsetShift) & 7);

        internal nint* Vtable
        {
            get { fixed (MethodTable* p = &this) return (nint*)((byte*)p + sizeof(MethodTable)); }
        }

        internal MethodTable** InterfaceMap => (MethodTable**)(Vtable + _usNumVtableSlots);

        private byte* OptionalPointers => (byte*)(InterfaceMap + _usNumInterfaces);

        private static byte* FollowRel32(byte* at) => at + *(int*)at;

        /// <summary>The dispatch map, after the type manager and writable-data pointers.</summary>
        internal DispatchMap* DispatchMap
        {
            get
            {
                if ((_uFlags & HasDispatchMapFlag) == 0) return null;
                return (DispatchMap*)FollowRel32(OptionalPointers + 8);
            }
        }

        /// <summary>
        /// The first generic argument. After the sealed-virtuals pointer come the
        /// generic definition and the generic composition; with one argument the
        /// composition points straight at its MethodTable.
        /// </summary>
        internal MethodTable* GenericArgument0
        {
            get
            {
                if ((_uFlags & IsGenericFlag) == 0) return null;
                byte* at = OptionalPointers + 8;
                if ((_uFlags & HasDispatchMapFlag) != 0) at += 4;
                if ((_uFlags & HasFinalizerFlag) != 0) at += 4;
                if ((_uFlags & HasSealedVTableEntriesFlag) != 0) at += 4;
                return (MethodTable*)FollowRel32(at + 4);
            }
        }

        internal nint GetSealedVirtualSlot(int index)
        {
            byte* at = OptionalPointers + 8;
            if ((_uFlags & HasDispatchMapFlag) != 0) at += 4;
            if ((_uFlags & HasFinalizerFlag) != 0) at += 4;
            byte* table = FollowRel32(at);
            return (nint)FollowRel32(table + index * 4);
        }

        internal bool ImplementsInterface(MethodTable* iface)
        {
            MethodTable** map = InterfaceMap;
            for (int i = 0; i < _usNumInterfaces; i++)
                if (map[i] == iface) return true;
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct DispatchMapEntry
    {
        internal ushort InterfaceIndex;
        internal ushort InterfaceMethodSlot;
        internal ushort ImplementationSlot;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct DispatchMap
    {
        internal ushort StandardEntryCount;
        internal ushort DefaultEntryCount;
        internal ushort StandardStaticEntryCount;
        internal ushort DefaultStaticEntryCount;

        internal DispatchMapEntry* Entries
        {
            get { fixed (DispatchMap* p = &this) return (DispatchMapEntry*)((byte*)p + sizeof(DispatchMap)); }
        }
    }

    internal static unsafe class EETypes
    {
        internal static MethodTable* Of<T>() => MethodTable.Of<T>();
        internal static MethodTable* Of(object o) => o.m_pEEType;
    }
}
