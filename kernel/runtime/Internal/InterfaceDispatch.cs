using System.Runtime;
using System.Runtime.InteropServices;
using System.Threading;

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
    /// 4. The first resolution of a cell also rewrites it (see CacheInCell):
    ///    later calls of that site on the same type never leave the stub.
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

        /// <summary>What a resolved cell's cache word points at (read by molt_dispatch_cached in each arch's runtime.S).</summary>
        [StructLayout(LayoutKind.Sequential)]
        private struct CellEntry
        {
            public MethodTable* Type;
            public nint Target;
            public MethodTable* Interface;
            public nint Slot;
        }

        [DllImport("*"), SuppressGCTransition] private static extern nint molt_dispatch_cached_address();
        private static ulong s_cellsCached;

        /// <summary>
        /// Cell entries come from this fixed arena in .bss, never from the
        /// heap: dispatch must not allocate behind its callers' backs (a
        /// caller may be in the middle of heap bookkeeping). When it is used
        /// up, further call sites keep using the hashed cache.
        /// </summary>
        private const int MaxCellEntries = 8192;
        [StructLayout(LayoutKind.Sequential, Size = MaxCellEntries * 32)]
        private struct CellArena { public byte First; }
        private static CellArena s_cellArena;
        private static int s_cellEntriesUsed;

        /// <summary>Call sites whose cell now jumps straight to its first type's target.</summary>
        internal static ulong CellsCached => s_cellsCached;

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
            MethodTable* type = obj.m_pEEType;
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
            {
                Molt.Diagnostics.Panic.MissingInterfaceMethod(type, iface, slot);
            }
            CacheInCell((Cell*)cellAddress, type, target, iface, slot);
            if (entry != null)
            {
                entry->CellAddress = 0;
                entry->Target = target;
                entry->Type = type;
                entry->CellAddress = cellAddress;
            }
            return target;
        }

        /// <summary>
        /// Makes a call site monomorphic-fast: the first resolution of a cell
        /// publishes an entry and points the cell's stub at molt_dispatch_cached.
        /// The cache word is swapped in (CAS, so a racing CPU's entry wins
        /// cleanly) before the stub word is written; a caller that sees the
        /// old stub with the new cache word lands in <see cref="Resolve"/>,
        /// which reads entries too. Entries live as long as the kernel (one
        /// per call site, at most MaxCellEntries).
        /// </summary>
        private static void CacheInCell(Cell* cell, MethodTable* type, nint target, MethodTable* iface, ushort slot)
        {
            nint old = Volatile.Read(in cell->Cache);
            if ((old & 3) == 0 || s_cache == null) return; // already an entry, or too early in boot
            int index = Interlocked.Increment(ref s_cellEntriesUsed) - 1;
            if (index >= MaxCellEntries) return;
            var entry = (CellEntry*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref s_cellArena.First) + index;
            entry->Type = type;
            entry->Target = target;
            entry->Interface = iface;
            entry->Slot = slot;
            if (Interlocked.CompareExchange(ref cell->Cache, (nint)entry, old) != old) return; // another CPU won; this entry stays unused
            Volatile.Write(ref cell->Stub, molt_dispatch_cached_address());
            s_cellsCached++;
        }

        private static void Decode(Cell* cell, out MethodTable* iface, out ushort slot)
        {
            nint value = Volatile.Read(in cell->Cache);
            byte* word = (byte*)&cell->Cache;
            if ((value & 3) == 0 && (nuint)value >= 0x1000) // kernel addresses are negative as nint
            {
                var entry = (CellEntry*)value;
                iface = entry->Interface;
                slot = (ushort)entry->Slot;
                return;
            }
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
