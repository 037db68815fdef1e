using System;
using System.Runtime.InteropServices;
using Internal.Runtime;
using Molt.Console;

namespace Molt.Diagnostics
{
    /// <summary>
    /// The kernel's own symbol table, embedded after linking by
    /// image/SymbolTable into the section <c>.ksyms</c> (see
    /// docs/symbols.md): a header with the build id, entries sorted by
    /// address (backtraces), exports sorted by name (the patch linker: every
    /// global symbol, aliases included), then names.
    /// Lookups are binary searches; nothing allocates.
    /// </summary>
    public static unsafe class Symbols
    {
        public const uint Magic = 0x3259534B; // "KSY2"
        public const int BuildIdSize = 32;

        [StructLayout(LayoutKind.Sequential)]
        public struct Header
        {
            public uint Magic;
            public uint Count;
            public uint NamesOffset;
            public uint NamesSize;
            public uint ExportCount;
            public uint ExportsOffset;
            public fixed byte BuildId[BuildIdSize];
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct Export
        {
            public ulong Address;
            public uint NameOffset;
            public uint NameLength;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct Entry
        {
            public ulong Address;
            public uint NameOffset;
            public uint Size;
        }

        private static Header* s_table;
        private static ulong s_kernelStart;
        private static ulong s_kernelEnd;

        public static bool Loaded => s_table != null;
        public static int Count => s_table == null ? 0 : (int)s_table->Count;
        public static int ExportCount => s_table == null ? 0 : (int)s_table->ExportCount;

        /// <summary>
        /// The image's build id (SHA-256 of the kernel before its symbol table
        /// was added); empty when the table is missing.
        /// </summary>
        public static ReadOnlySpan<byte> BuildId => s_table == null ? default : new ReadOnlySpan<byte>(s_table->BuildId, BuildIdSize);

        /// <summary>Writes the build id as 64 hex digits.</summary>
        public static void WriteBuildId()
        {
            ReadOnlySpan<byte> id = BuildId;
            if (id.Length == 0) { KernelConsole.Write("(none)"); return; }
            for (int i = 0; i < id.Length; i++) KernelConsole.WriteHex(id[i], 2);
        }

        /// <summary>Attaches the table; returns false if it is missing or malformed.</summary>
        public static bool Attach(void* table, ulong kernelStart, ulong kernelEnd)
        {
            s_kernelStart = kernelStart;
            s_kernelEnd = kernelEnd;
            var h = (Header*)table;
            if (h == null || h->Magic != Magic) return false;
            s_table = h;
            return true;
        }

        /// <summary>Stack and data addresses the walker may read: anything in the upper half.</summary>
        public static bool IsKernelAddress(nint address) => (ulong)address >= 0xFFFF800000000000UL;

        private static Entry* Entries => (Entry*)(s_table + 1);
        private static byte* Names => (byte*)s_table + s_table->NamesOffset;

        /// <summary>Finds the symbol containing <paramref name="address"/>; returns null if none.</summary>
        public static Entry* Find(ulong address)
        {
            if (s_table == null || s_table->Count == 0) return null;
            Entry* e = Entries;
            int lo = 0, hi = (int)s_table->Count - 1, best = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                if (e[mid].Address <= address) { best = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            if (best < 0) return null;
            Entry* found = e + best;
            if (found->Size != 0 && address >= found->Address + found->Size) return null;
            return found;
        }

        public static byte* NameOf(Entry* e) => Names + e->NameOffset;

        /// <summary>Writes "name+0xoff (0xaddress)" or just the address.</summary>
        public static void WriteSymbol(nint address)
        {
            Entry* e = Find((ulong)address);
            if (e != null)
            {
                KernelConsole.WriteAscii(NameOf(e), 512);
                KernelConsole.Write("+0x");
                KernelConsole.WriteHex((ulong)address - e->Address);
                KernelConsole.Write(" (0x");
            }
            else KernelConsole.Write("? (0x");
            KernelConsole.WriteHex((ulong)address, 16);
            KernelConsole.Write(')');
        }

        /// <summary>Writes a type's name from its MethodTable symbol, as ilc named it.</summary>
        internal static void WriteTypeName(MethodTable* type)
        {
            if (type == null) { KernelConsole.Write("(null)"); return; }
            Entry* e = Find((ulong)type);
            if (e != null && e->Address == (ulong)type) { WriteTypeSymbol(NameOf(e)); return; }
            KernelConsole.Write("type@0x");
            KernelConsole.WriteHex((ulong)type);
        }

        /// <summary>
        /// ilc names a MethodTable <c>_ZTV&lt;length&gt;&lt;module&gt;_&lt;Namespace_Type&gt;</c>;
        /// print it as <c>Namespace_Type</c>, without the mangling and module prefix.
        /// </summary>
        private static void WriteTypeSymbol(byte* name)
        {
            byte* p = name;
            if (p[0] == '_' && p[1] == 'Z' && p[2] == 'T' && p[3] == 'V')
            {
                p += 4;
                while (*p >= '0' && *p <= '9') p++;
            }
            if (p[0] == 'm' && p[1] == 'o' && p[2] == 'l' && p[3] == 't' && p[4] == '_') p += 5;
            KernelConsole.WriteAscii(p, 512);
        }

        /// <summary>
        /// The address of the exported (global) kernel symbol named
        /// <paramref name="name"/> (UTF-8 bytes, no terminator), or 0. A binary
        /// search over names sorted by bytes: about 13 compares for the
        /// kernel's exports.
        /// </summary>
        public static ulong LookupExport(ReadOnlySpan<byte> name)
        {
            if (s_table == null) return 0;
            var exports = (Export*)((byte*)s_table + s_table->ExportsOffset);
            int lo = 0, hi = (int)s_table->ExportCount - 1;
            while (lo <= hi)
            {
                int mid = (int)((uint)(lo + hi) >> 1);
                int c = Compare(new ReadOnlySpan<byte>(Names + exports[mid].NameOffset, (int)exports[mid].NameLength), name);
                if (c == 0) return exports[mid].Address;
                if (c < 0) lo = mid + 1; else hi = mid - 1;
            }
            return 0;
        }

        private static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            int n = a.Length < b.Length ? a.Length : b.Length;
            for (int i = 0; i < n; i++)
                if (a[i] != b[i]) return a[i] - b[i];
            return a.Length - b.Length;
        }
    }
}
