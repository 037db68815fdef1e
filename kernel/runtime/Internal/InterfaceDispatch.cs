using System.Runtime;
using System.Runtime.InteropServices;

namespace Internal.Runtime
{
    /// <summary>
    /// Resolves interface calls. Every call site owns a dispatch cell
    /// <c>{stub, cache}</c>; ilc points the stub at
    /// <c>RhpInitialDynamicInterfaceDispatch</c> (arch assembly), which saves the
    /// argument registers and calls <see cref="Resolve"/>.
    ///
    /// Protocol:
    /// 1. Decode the cell: the interface MethodTable from the relative pointer
    ///    in the cache word, the slot from the terminator cell of the run.
    /// 2. Look the (cell, type) pair up in a global hashed cache; on a hit, done.
    /// 3. On a miss, walk the type and its bases: dispatch map entries whose
    ///    interface index names this interface and slot give the vtable or
    ///    sealed-vtable slot of the target. Store the result in the cache.
    /// Invariant: a cache entry is published by writing the target before the
    /// key words, and a reader checks the key words again after reading the
    /// target, so a torn entry is never used.
    /// The cell itself is never rewritten, so the cell layout stays ilc's.
    /// </summary>
    internal static unsafe class InterfaceDispatch
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct Cell
        {
            public nint Stub;
            public nint Cache;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct CacheEntry
        {
            public nint CellAddress;
            public MethodTable* Type;
            public nint Target;
            public nint Pad;
        }

        private const int CacheSize = 4096;
        private static CacheEntry* s_cache;
        private static CacheEntry* s_cacheEnd;
        private static ulong s_misses;
        private static ulong s_hits;

        internal static ulong Misses => s_misses;
        internal static ulong Hits => s_hits;

        /// <summary>Sets up the resolver cache in memory the caller owns for the kernel's lifetime.</summary>
        internal static void Initialize(void* cacheMemory, int bytes)
        {
            s_cache = (CacheEntry*)cacheMemory;
            s_cacheEnd = s_cache + bytes / sizeof(CacheEntry);
        }

        internal static int CacheBytes => CacheSize * sizeof(CacheEntry);

        [RuntimeExport("molt_resolve_interface")]
        private static nint Resolve(object obj, nint cellAddress)
        {
            if (obj == null) Molt.Diagnostics.Panic.NullReference(0);
            MethodTable* type = obj.m_pMethodTable;
            CacheEntry* entry = null;
            if (s_cache != null)
            {
                ulong h = ((ulong)cellAddress * 0x9E3779B97F4A7C15UL) ^ ((ulong)type * 0xC2B2AE3D27D4EB4FUL);
                entry = s_cache + (int)((h >> 40) % CacheSize);
                if (entry->CellAddress == cellAddress && entry->Type == type)
                {
                    nint cached = entry->Target;
                    if (entry->CellAddress == cellAddress && entry->Type == type && cached != 0)
                    {
                        s_hits++;
                        return cached;
                    }
                }
            }
            s_misses++;
            MethodTable* iface;
            ushort slot;
            Decode((Cell*)cellAddress, out iface, out slot);
            nint target = FindImplementation(type, iface, slot);
            if (target == 0)
                Molt.Diagnostics.Panic.MissingInterfaceMethod(type, iface, slot);
            if (entry != null)
            {
                entry->CellAddress = 0;
                entry->Target = target;
                entry->Type = type;
                entry->CellAddress = cellAddress;
            }
            return target;
        }

        private static void Decode(Cell* cell, out MethodTable* iface, out ushort slot)
        {
            nint value = cell->Cache;
            byte* word = (byte*)&cell->Cache;
            switch (value & 3)
            {
                case 1: iface = (MethodTable*)(value & ~(nint)3); break;
                case 3: iface = (MethodTable*)((nint)(word + (int)value) & ~(nint)3); break;
                case 2: iface = *(MethodTable**)((nint)(word + (int)value) & ~(nint)3); break;
                default: iface = null; break;
            }
            Cell* terminator = cell;
            while (terminator->Stub != 0) terminator++;
            slot = (ushort)terminator->Cache;
        }

        /// <summary>The code address that implements interface slot <paramref name="slot"/> for <paramref name="type"/>, or 0.</summary>
        internal static nint FindImplementation(MethodTable* type, MethodTable* iface, ushort slot)
        {
            for (MethodTable* t = type; t != null; t = t->BaseType)
            {
                DispatchMap* map = t->DispatchMap;
                if (map == null) continue;
                MethodTable** interfaces = t->InterfaceMap;
                DispatchMapEntry* e = map->Entries;
                for (int i = 0; i < map->StandardEntryCount; i++, e++)
                {
                    if (e->InterfaceMethodSlot != slot) continue;
                    if (e->InterfaceIndex >= t->_usNumInterfaces || interfaces[e->InterfaceIndex] != iface) continue;
                    ushort impl = e->ImplementationSlot;
                    return impl < t->_usNumVtableSlots ? type->Vtable[impl] : t->GetSealedVirtualSlot(impl - t->_usNumVtableSlots);
                }
            }
            return 0;
        }
    }
}
