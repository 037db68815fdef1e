using System;
using Molt.Diagnostics;
using Molt.Hal;

namespace Molt.Update.Linker
{
    /// <summary>
    /// The resolver the kernel links patches with: the kernel's own symbols
    /// first, then each loaded patch's exports in load order
    /// (<see cref="PatchLoader.TryResolve"/>). A struct, so the linker calls
    /// it directly through its generic parameter.
    /// </summary>
    public struct KernelChainResolver : ISymbolResolver
    {
        public int Lookups;

        public bool TryResolve(ReadOnlySpan<byte> name, out ulong address)
        {
            Lookups++;
            return PatchLoader.TryResolve(name, out address);
        }
    }

    /// <summary>
    /// By-name lookup in the kernel's embedded symbol table (.ksyms, see
    /// docs/symbols.md), comparing bytes without allocating. A linear scan
    /// today; the place to swap in main's by-name export index (which also
    /// knows aliases the address-sorted table keeps only one of).
    /// </summary>
    public static unsafe class KernelSymbols
    {
        public static bool TryLookup(ReadOnlySpan<byte> name, out ulong address)
        {
            address = 0;
            var table = (Symbols.Header*)Layout.SymbolTable;
            if (table == null || table->Magic != Symbols.Magic || name.Length == 0) return false;
            var entries = (Symbols.Entry*)(table + 1);
            byte* names = (byte*)table + table->NamesOffset;
            byte first = name[0];
            for (uint i = 0; i < table->Count; i++)
            {
                byte* n = names + entries[i].NameOffset;
                if (n[0] != first) continue;
                int j = 1;
                while (j < name.Length && n[j] == name[j]) j++;
                if (j == name.Length && n[j] == 0) { address = entries[i].Address; return true; }
            }
            return false;
        }
    }
}
