using System;

namespace Molt.Update.Linker
{
    /// <summary>
    /// Finds a symbol's address outside the object being linked: the kernel
    /// first, then patches loaded before, in load order. A struct
    /// implementing it is passed by reference as a generic argument, so the
    /// kernel's lookup (or a test's table) is called directly, without
    /// boxing or allocation.
    /// </summary>
    public interface ISymbolResolver
    {
        bool TryResolve(ReadOnlySpan<byte> name, out ulong address);
    }

    /// <summary>
    /// The "one type identity" naming rules. A name is module-private when
    /// it belongs to one compiled module even if the kernel has the same name:
    /// it binds to the patch's own definition, never replaces or is replaced
    /// by another module's, and is not exported to later patches:
    /// - startup code: <c>__managed__Startup</c>, <c>*NativeLibraryStartup</c>;
    /// - compiler blobs: <c>g_*</c> and <c>__readonlydata_g_*</c>;
    /// - module-level symbols: <c>&lt;module&gt;__*</c> (the ReadyToRun header,
    ///   GC static region, module initializers, frozen strings, dispatch cells
    ///   and maps, metadata tables), where the module is the patch's assembly;
    /// - EH and unwind data: <c>_lsda*</c>, <c>__ehinfo*</c>;
    /// - local symbols (checked by the caller: STB_LOCAL).
    /// Everything else a patch defines is shared: when the kernel or an earlier
    /// patch already defines a COMDAT group's signature (instantiated and array
    /// MethodTables, generic dictionaries, generic code), that one wins.
    /// </summary>
    public static class SymbolPolicy
    {
        public const string ReadyToRunHeaderSuffix = "__ReadyToRunHeader";

        public static bool IsModulePrivate(ReadOnlySpan<byte> name, ReadOnlySpan<byte> modulePrefix)
        {
            if (StartsWith(name, "__managed__Startup") || EndsWith(name, "NativeLibraryStartup")) return true;
            if (StartsWith(name, "g_") || StartsWith(name, "__readonlydata_g_")) return true;
            if (StartsWith(name, "_lsda") || StartsWith(name, "__ehinfo")) return true;
            if (modulePrefix.Length > 0 && name.Length > modulePrefix.Length + 2 && StartsWith(name, modulePrefix)
                && name[modulePrefix.Length] == (byte)'_' && name[modulePrefix.Length + 1] == (byte)'_')
                return true;
            return false;
        }

        public static bool StartsWith(ReadOnlySpan<byte> name, string prefix)
        {
            if (name.Length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++) if (name[i] != prefix[i]) return false;
            return true;
        }

        public static bool StartsWith(ReadOnlySpan<byte> name, ReadOnlySpan<byte> prefix)
        {
            if (name.Length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++) if (name[i] != prefix[i]) return false;
            return true;
        }

        public static bool EndsWith(ReadOnlySpan<byte> name, string suffix)
        {
            if (name.Length < suffix.Length) return false;
            int at = name.Length - suffix.Length;
            for (int i = 0; i < suffix.Length; i++) if (name[at + i] != suffix[i]) return false;
            return true;
        }

        public static bool Equal(ReadOnlySpan<byte> a, string b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < b.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }

        public static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }

        /// <summary>FNV-1a, for the export tables' hash lookups.</summary>
        public static uint Hash(ReadOnlySpan<byte> name)
        {
            uint h = 2166136261;
            for (int i = 0; i < name.Length; i++) { h ^= name[i]; h *= 16777619; }
            return h;
        }
    }
}
