using System;
using Molt.Diagnostics;

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
    /// By-name lookup of the kernel's exported symbols: the .ksyms export
    /// table (docs/symbols.md), sorted by name, with aliases and hidden
    /// globals, binary-searched without allocating. An address of 0 means absent.
    /// </summary>
    public static class KernelSymbols
    {
        public static bool TryLookup(ReadOnlySpan<byte> name, out ulong address)
        {
            address = name.Length == 0 ? 0 : Symbols.LookupExport(name);
            return address != 0;
        }
    }
}
