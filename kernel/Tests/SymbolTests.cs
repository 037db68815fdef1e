using System;
using Internal.Runtime;
using Molt.Diagnostics;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>The embedded symbol table as the patch linker uses it: exports by name, aliases, the build id.</summary>
    internal static unsafe class SymbolTests
    {
        public static void Register()
        {
            TestRunner.Add("symbols.build_id_is_present", &BuildIdIsPresent);
            TestRunner.Add("symbols.export_finds_alias_and_managed_name", &AliasAndManagedName);
            TestRunner.Add("symbols.export_finds_method_tables", &MethodTables);
            TestRunner.Add("symbols.export_lookup_is_exact", &LookupIsExact);
        }

        private static void BuildIdIsPresent(TestContext t)
        {
            ReadOnlySpan<byte> id = Symbols.BuildId;
            t.Equal(Symbols.BuildIdSize, id.Length, "the build id has 32 bytes");
            int nonZero = 0;
            for (int i = 0; i < id.Length; i++) if (id[i] != 0) nonZero++;
            t.True(nonZero > 8, "the build id is a hash, not zeros");
        }

        // molt_thread_start is an UnmanagedCallersOnly alias of a managed method:
        // both names must resolve, to the same code.
        private static void AliasAndManagedName(TestContext t)
        {
            ulong alias = Symbols.LookupExport("molt_thread_start"u8);
            ulong managed = Symbols.LookupExport("molt_Molt_Threading_Scheduler__ThreadStart"u8);
            t.True(alias != 0, "the alias molt_thread_start is exported");
            t.Equal(alias, managed, "the alias and the managed name are one address");
        }

        private static void MethodTables(TestContext t)
        {
            t.Equal((ulong)MethodTable.Of<object>(), Symbols.LookupExport("_ZTV6Object"u8), "Object's MethodTable");
            t.Equal((ulong)MethodTable.Of<string>(), Symbols.LookupExport("_ZTV6String"u8), "String's MethodTable");
            t.True(Symbols.LookupExport("RhpNewFast"u8) != 0, "the allocator helper patches call");
            t.True(Symbols.ExportCount > 1000, "thousands of exports");
        }

        private static void LookupIsExact(TestContext t)
        {
            t.Equal(0UL, Symbols.LookupExport("molt_thread_star"u8), "a prefix is not a match");
            t.Equal(0UL, Symbols.LookupExport("molt_thread_startx"u8), "a longer name is not a match");
            t.Equal(0UL, Symbols.LookupExport("no_such_symbol_anywhere"u8), "an unknown name is 0");
            t.Equal(0UL, Symbols.LookupExport(default), "the empty name is 0");
            t.Equal(0UL, Symbols.LookupExport("_lsda0molt_Molt_Threading_Scheduler__ThreadStart"u8), "exception data stays private");
        }
    }
}
