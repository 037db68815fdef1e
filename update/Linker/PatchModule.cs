using System;
using Molt.Memory;

namespace Molt.Update.Linker
{
    /// <summary>
    /// A loaded patch: where its regions are, its ReadyToRun header, its
    /// exports, its initialization state. Made by <see cref="PatchLoader.Load"/>
    /// and freed (with its exports, its memory and the static bases its
    /// initialization allocated) by <see cref="PatchLoader.Unload"/>: the
    /// object itself and the arrays it points to are heap blocks the loader frees.
    /// </summary>
    public sealed unsafe class PatchModule
    {
        /// <summary>The next module in load order (the resolver's chain).</summary>
        internal PatchModule Next;
        public int Id;
        /// <summary>Page-aligned regions: text (read+execute), rodata (read-only), data (read+write, never executable; .bss at its end). A size may be 0.</summary>
        public ulong TextBase, TextSize, RodataBase, RodataSize, DataBase, DataSize;
        /// <summary>The whole reservation (regions and guard pages), retired on unload.</summary>
        internal ulong ReservationBase, ReservationSize;
        /// <summary>The module's ReadyToRun header (through its <c>__modules</c> pointer).</summary>
        public void* ReadyToRunHeader;
        public bool Initialized;
        public bool Unloaded;
        /// <summary>Figures of the load: object size, sections, relocations, time.</summary>
        public int ObjectBytes, SectionsLoaded, Relocations, GroupsDropped, VeneersUsed;
        public ulong LinkNanoseconds;

        // Exports: a hash table over names copied from the object.
        private struct Export
        {
            public ulong Address;
            public uint NameOffset, NameLength, Hash;
            public int NextInBucket;
        }
        private Export* _exports;
        private int _exportCount;
        private int* _buckets;
        private int _bucketCount;
        private byte* _names;
        private int _prefixLength;

        // Static bases allocated by initialization (section 201 cells), freed on unload.
        internal nint** StaticCells;
        internal int StaticCellCount;

        public int ExportCount => _exportCount;
        public ReadOnlySpan<byte> Prefix => new ReadOnlySpan<byte>(_names, _prefixLength);

        /// <summary>Fills the export table from the linked object; false when the heap is exhausted.</summary>
        internal bool BuildExports(ref ElfObject obj, Span<SectionPlan> sections, in LinkLayout layout, Span<SymbolSlot> symbols, in LinkTarget target)
        {
            ReadOnlySpan<byte> prefix = PatchLinker.ModulePrefix(ref obj, layout);
            int count = 0;
            ulong nameBytes = (ulong)prefix.Length;
            for (int i = 1; i < obj.SymbolCount; i++)
                if (PatchLinker.IsExport(ref obj, sections, layout, i)) { count++; nameBytes += (ulong)obj.SymbolName(i).Length; }
            if (nameBytes > int.MaxValue / 2) return false;
            _bucketCount = 16;
            while (_bucketCount < count * 2) _bucketCount *= 2;
            _names = (byte*)Heap.Allocate((uint)nameBytes + 1);
            _exports = (Export*)Heap.Allocate((uint)((count + 1) * sizeof(Export)));
            _buckets = (int*)Heap.Allocate((uint)(_bucketCount * sizeof(int)));
            if (_names == null || _exports == null || _buckets == null) { FreeExports(); return false; }
            for (int b = 0; b < _bucketCount; b++) _buckets[b] = -1;
            int at = 0;
            for (int k = 0; k < prefix.Length; k++) _names[at++] = prefix[k];
            _prefixLength = prefix.Length;
            for (int i = 1; i < obj.SymbolCount; i++)
            {
                if (!PatchLinker.IsExport(ref obj, sections, layout, i)) continue;
                ReadOnlySpan<byte> name = obj.SymbolName(i);
                ElfSymbol s = obj.Symbol(i);
                ref Export e = ref _exports[_exportCount];
                e.Address = PatchLinker.SectionAddress(target, sections[(int)s.Section]) + s.Value;
                e.NameOffset = (uint)at;
                e.NameLength = (uint)name.Length;
                e.Hash = SymbolPolicy.Hash(name);
                for (int k = 0; k < name.Length; k++) _names[at++] = name[k];
                int bucket = (int)(e.Hash & (uint)(_bucketCount - 1));
                e.NextInBucket = _buckets[bucket];
                _buckets[bucket] = _exportCount;
                _exportCount++;
            }
            return true;
        }

        /// <summary>Finds an exported symbol by exact name.</summary>
        public bool TryFind(ReadOnlySpan<byte> name, out ulong address)
        {
            address = 0;
            if (_exportCount == 0) return false;
            uint h = SymbolPolicy.Hash(name);
            for (int i = _buckets[h & (uint)(_bucketCount - 1)]; i >= 0; i = _exports[i].NextInBucket)
            {
                ref Export e = ref _exports[i];
                if (e.Hash != h || e.NameLength != (uint)name.Length) continue;
                if (SymbolPolicy.Equal(new ReadOnlySpan<byte>(_names + e.NameOffset, (int)e.NameLength), name)) { address = e.Address; return true; }
            }
            return false;
        }

        /// <summary>Convenience for tests and the update core: an exported symbol by a string name; 0 when absent.</summary>
        public ulong Find(string name)
        {
            int n = name.Length;
            if (n > 512) return 0;
            byte* buf = stackalloc byte[n];
            for (int i = 0; i < n; i++) buf[i] = (byte)name[i];
            ulong a;
            return TryFind(new ReadOnlySpan<byte>(buf, n), out a) ? a : 0;
        }

        /// <summary>Whether <paramref name="address"/> lies in one of this module's regions.</summary>
        public bool Contains(ulong address) =>
            (address >= TextBase && address < TextBase + TextSize) || (address >= RodataBase && address < RodataBase + RodataSize)
            || (address >= DataBase && address < DataBase + DataSize);

        internal void FreeExports()
        {
            if (_names != null) Heap.Free(_names);
            if (_exports != null) Heap.Free(_exports);
            if (_buckets != null) Heap.Free(_buckets);
            _names = null; _exports = null; _buckets = null;
            _exportCount = 0;
        }
    }
}
