using System;
using System.Runtime;
using System.Runtime.CompilerServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime
{
    /// <summary>
    /// Casting helpers ilc calls for <c>is</c>, <c>as</c>, casts and array
    /// stores. Type identity is MethodTable pointer identity. Generic variance
    /// and IDynamicInterfaceCastable are not supported: such a cast fails.
    /// </summary>
    internal static unsafe class TypeCast
    {
        private static bool IsClassOrBase(MethodTable* mt, MethodTable* target)
        {
            // An array's related type is its element type; its base class is System.Array.
            if (mt->IsArray)
            {
                if (mt == target) return true;
                mt = MethodTable.Of<Array>();
            }
            for (; mt != null; mt = mt->BaseType)
                if (mt == target) return true;
            return false;
        }

        internal static bool AreTypesAssignable(MethodTable* source, MethodTable* target)
        {
            if (source == target) return true;
            if (target->IsInterface) return source->ImplementsInterface(target);
            if (source->IsArray && target->IsArray)
            {
                if (source->ElementType != target->ElementType) return false;
                MethodTable* se = source->RelatedParameterType, te = target->RelatedParameterType;
                if (se->IsValueType || te->IsValueType) return se == te;
                return AreTypesAssignable(se, te);
            }
            return IsClassOrBase(source, target);
        }

        public static object IsInstanceOfAny(MethodTable* target, object obj)
        {
            if (obj == null) return null;
            return AreTypesAssignable(obj.m_pEEType, target) ? obj : null;
        }

        public static object IsInstanceOfInterface(MethodTable* target, object obj)
        {
            if (obj == null) return null;
            return obj.m_pEEType->ImplementsInterface(target) ? obj : null;
        }

        public static object IsInstanceOfClass(MethodTable* target, object obj)
        {
            if (obj == null) return null;
            return IsClassOrBase(obj.m_pEEType, target) ? obj : null;
        }

        public static bool IsInstanceOfException(MethodTable* target, object obj)
            => obj != null && IsClassOrBase(obj.m_pEEType, target);

        public static object CheckCastAny(MethodTable* target, object obj)
        {
            if (obj == null || AreTypesAssignable(obj.m_pEEType, target)) return obj;
            return CastFailed(obj, target);
        }

        public static object CheckCastInterface(MethodTable* target, object obj)
        {
            if (obj == null || obj.m_pEEType->ImplementsInterface(target)) return obj;
            return CastFailed(obj, target);
        }

        public static object CheckCastClass(MethodTable* target, object obj)
        {
            if (obj == null || IsClassOrBase(obj.m_pEEType, target)) return obj;
            return CastFailed(obj, target);
        }

        public static object CheckCastClassSpecial(MethodTable* target, object obj)
        {
            if (IsClassOrBase(obj.m_pEEType, target)) return obj;
            return CastFailed(obj, target);
        }

        private static object CastFailed(object obj, MethodTable* target)
        {
            Molt.Diagnostics.Panic.InvalidCast(obj.m_pEEType, target);
            return null;
        }

        private sealed class ArrayElement { public object Value; }

        /// <summary>Stores into an object array after the covariance check. Writes through a raw ref, not array[i], which would recurse.</summary>
        public static void StelemRef(object[] array, nint index, object obj)
        {
            if ((nuint)index >= (nuint)array.Length) ThrowHelpers.ThrowIndexOutOfRangeException();
            ref object slot = ref Unsafe.Add(ref Unsafe.As<byte, object>(ref Unsafe.As<RawArrayData>(array).Data), index);
            if (obj != null)
            {
                MethodTable* elementType = array.m_pEEType->RelatedParameterType;
                if (obj.m_pEEType != elementType && !AreTypesAssignable(obj.m_pEEType, elementType))
                    ThrowHelpers.ThrowArrayTypeMismatchException();
            }
            slot = obj;
        }

        public static ref object LdelemaRef(object[] array, nint index, MethodTable* elementType)
        {
            if ((nuint)index >= (nuint)array.Length) ThrowHelpers.ThrowIndexOutOfRangeException();
            if (elementType != array.m_pEEType->RelatedParameterType) ThrowHelpers.ThrowArrayTypeMismatchException();
            return ref Unsafe.Add(ref Unsafe.As<byte, object>(ref Unsafe.As<RawArrayData>(array).Data), index);
        }
    }

    /// <summary>Boxing helpers ilc calls by name.</summary>
    internal static unsafe class RuntimeExports
    {
        public static object RhBox(MethodTable* type, ref byte data)
        {
            if (type->IsNullable)
            {
                // A Nullable<T> boxes to its T, or to null when it has no value.
                if (data == 0) return null;
                data = ref Unsafe.Add(ref data, type->NullableValueOffset);
                type = type->NullableType;
            }
            object result = ObjectFromPointer(Allocation.RhpNewFast(type));
            uint size = type->ValueTypeSize;
            byte* dst = (byte*)Unsafe.AsPointer(ref Unsafe.As<RawData>(result).Data);
            byte* src = (byte*)Unsafe.AsPointer(ref data);
            for (uint i = 0; i < size; i++) dst[i] = src[i];
            return result;
        }

        internal static object ObjectFromPointer(void* p) => Unsafe.AsRef<object>(&p);

        public static ref byte RhUnbox2(MethodTable* type, object obj)
        {
            if (obj == null || obj.m_pEEType != type)
                Molt.Diagnostics.Panic.InvalidCast(obj == null ? null : obj.m_pEEType, type);
            return ref Unsafe.As<RawData>(obj).Data;
        }

        public static void RhUnboxNullable(ref byte data, MethodTable* nullableType, object obj)
        {
            MethodTable* valueType = nullableType->NullableType;
            uint size = valueType->ValueTypeSize;
            int offset = nullableType->NullableValueOffset;
            if (obj == null)
            {
                for (uint i = 0; i < size + (uint)offset; i++) Unsafe.Add(ref data, (int)i) = 0;
                return;
            }
            if (obj.m_pEEType != valueType) Molt.Diagnostics.Panic.InvalidCast(obj.m_pEEType, nullableType);
            data = 1;
            ref byte src = ref Unsafe.As<RawData>(obj).Data;
            for (uint i = 0; i < size; i++) Unsafe.Add(ref data, offset + (int)i) = Unsafe.Add(ref src, (int)i);
        }

        public static void RhUnboxTypeTest(MethodTable* type, MethodTable* boxType)
        {
            if (type != boxType) Molt.Diagnostics.Panic.InvalidCast(boxType, type);
        }
    }
}
