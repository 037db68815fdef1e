using Molt.Console;

namespace Molt.Acpi
{
    /// <summary>
    /// PCI Express ECAM windows: for each segment group, the physical base of
    /// its configuration space and its bus range. Filled from the ACPI MCFG
    /// (<see cref="PciTables.ReadMcfg"/>); without one, an x86 PC falls back to
    /// port I/O configuration access (0xCF8/0xCFC).
    /// </summary>
    public unsafe struct PciEcamFacts
    {
        public const int MaxWindows = 8;

        public bool HasMcfg;
        public int Count;
        /// <summary>Entries left out: malformed (base 0, end bus before start bus) or past <see cref="MaxWindows"/>.</summary>
        public int Dropped;
        private fixed ulong _base[MaxWindows];
        private fixed ushort _segment[MaxWindows];
        private fixed byte _startBus[MaxWindows];
        private fixed byte _endBus[MaxWindows];

        public ulong Base(int i) => _base[i];
        public ushort Segment(int i) => _segment[i];
        public byte StartBus(int i) => _startBus[i];
        public byte EndBus(int i) => _endBus[i];

        internal void Add(ulong bas, ushort segment, byte start, byte end)
        {
            if (Count >= MaxWindows) { Dropped++; return; }
            _base[Count] = bas;
            _segment[Count] = segment;
            _startBus[Count] = start;
            _endBus[Count] = end;
            Count++;
        }
    }

    /// <summary>Reads the MCFG: a 44-byte header, then 16-byte allocation entries (base, segment, start bus, end bus).</summary>
    public static unsafe class PciTables
    {
        public const uint McfgFirstEntry = 44, McfgEntrySize = 16;

        public static void ReadMcfg(ref AcpiTables tables, PciEcamFacts* facts)
        {
            AcpiHeader* t = tables.Find("MCFG");
            if (t == null) return;
            facts->HasMcfg = true;
            uint length = t->Length;
            byte* p = (byte*)t;
            for (uint at = McfgFirstEntry; at + McfgEntrySize <= length; at += McfgEntrySize)
            {
                ulong bas = *(ulong*)(p + at);
                byte start = p[at + 10], end = p[at + 11];
                if (bas == 0 || end < start)
                {
                    facts->Dropped++;
                    if (!tables.Quiet) Log.Warn("pci", $"MCFG entry at offset {at} is malformed (base {bas:x}, buses {start}-{end}); ignored");
                    continue;
                }
                if (facts->Count >= PciEcamFacts.MaxWindows && !tables.Quiet)
                    Log.Warn("pci", $"MCFG entry at offset {at}: more than {PciEcamFacts.MaxWindows} windows; ignored");
                facts->Add(bas, *(ushort*)(p + at + 8), start, end);
            }
        }
    }
}
