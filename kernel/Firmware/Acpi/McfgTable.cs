// Compiled for the host tests too (tests/Molt.Tests), where nullable analysis is on; kernel strings here may be null.
#nullable disable
using System;

namespace Molt.Firmware
{
    /// <summary>
    /// The ACPI MCFG table ("PCI Express memory mapped configuration space
    /// base address description"): the 36-byte header, 8 reserved bytes,
    /// then 16-byte entries {u64 base, u16 segment, u8 start bus, u8 end bus,
    /// u32 reserved}. Reads a byte span only, so the host tests feed it
    /// fixtures and a fuzzer.
    /// </summary>
    public static class McfgTable
    {
        public const int HeaderLength = 36;
        public const int FirstEntry = 44;
        public const int EntryLength = 16;

        private static uint U32(ReadOnlySpan<byte> s, int at) => (uint)s[at] | (uint)s[at + 1] << 8 | (uint)s[at + 2] << 16 | (uint)s[at + 3] << 24;
        private static ulong U64(ReadOnlySpan<byte> s, int at) => U32(s, at) | (ulong)U32(s, at + 4) << 32;

        /// <summary>
        /// Fills <paramref name="regions"/> with the table's usable entries and
        /// sets <paramref name="count"/>. Returns null, or why the table is
        /// refused (then <paramref name="count"/> is 0). Entries with a zero
        /// base or an end bus below the start bus are skipped and counted in
        /// <paramref name="skipped"/>; a partial entry at the end is ignored.
        /// </summary>
        public static string Parse(ReadOnlySpan<byte> table, Span<EcamRegion> regions, out int count, out int skipped)
        {
            count = 0; skipped = 0;
            if (table.Length < HeaderLength) return "MCFG shorter than an ACPI header";
            if (table[0] != (byte)'M' || table[1] != (byte)'C' || table[2] != (byte)'F' || table[3] != (byte)'G') return "signature is not MCFG";
            uint length = U32(table, 4);
            if (length < FirstEntry) return "MCFG length below 44 bytes (header and reserved field)";
            if (length > (uint)table.Length) return "MCFG length runs past the table";
            byte sum = 0;
            for (int i = 0; i < (int)length; i++) sum += table[i];
            if (sum != 0) return "MCFG checksum is not zero";
            for (int at = FirstEntry; at + EntryLength <= (int)length; at += EntryLength)
            {
                ulong bas = U64(table, at);
                byte start = table[at + 10], end = table[at + 11];
                if (bas == 0 || end < start || (bas & 0xFFFFF) != 0) { skipped++; continue; }
                if (count >= regions.Length) { skipped++; continue; }
                regions[count].Base = bas + ((ulong)start << 20); // MCFG's base is where bus 0 would be
                regions[count].Segment = (ushort)(table[at + 8] | table[at + 9] << 8);
                regions[count].StartBus = start;
                regions[count].EndBus = end;
                count++;
            }
            return null;
        }
    }
}
