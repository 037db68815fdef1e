using System;
using System.Runtime.InteropServices;

namespace Molt.Update.Linker
{
    /// <summary>
    /// Patch objects built from tests/patches/&lt;name&gt; and embedded into
    /// the kernel by the Makefile (image/fixtures.sh writes a table of
    /// {name, start, end} rows ended by a zero row), for the in-kernel linker
    /// tests and the link benchmark.
    /// </summary>
    public static unsafe class PatchFixtures
    {
        [DllImport("*"), SuppressGCTransition] private static extern ulong* molt_patch_fixture_table();

        /// <summary>The embedded object named <paramref name="name"/>, or an empty span.</summary>
        public static ReadOnlySpan<byte> Find(string name)
        {
            for (ulong* row = molt_patch_fixture_table(); row[0] != 0; row += 3)
            {
                byte* n = (byte*)row[0];
                int i = 0;
                while (i < name.Length && n[i] == name[i]) i++;
                if (i == name.Length && n[i] == 0) return new ReadOnlySpan<byte>((void*)row[1], (int)(row[2] - row[1]));
            }
            return default;
        }
    }
}
