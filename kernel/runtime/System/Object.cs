using Internal.Runtime;

namespace System
{
    /// <summary>
    /// The root of every class. Its first word is the MethodTable pointer ilc
    /// lays out; there is no sync block and no GC header. Objects are freed
    /// explicitly through <c>Molt.Memory.Heap.Free</c>.
    /// </summary>
    public unsafe class Object
    {
#pragma warning disable 169, 649
        internal MethodTable* m_pEEType;
#pragma warning restore 169, 649

        public Object() { }

        public virtual bool Equals(object obj) => (object)this == obj;
        public virtual int GetHashCode() => (int)(nint)Runtime.CompilerServices.Unsafe.AsPointer(ref Runtime.CompilerServices.Unsafe.As<Runtime.CompilerServices.RawData>(this).Data);
        public virtual string ToString() => null;

        internal MethodTable* GetMethodTable() => m_pEEType;
    }
}
