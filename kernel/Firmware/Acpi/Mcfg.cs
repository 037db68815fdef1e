using Molt.Console;
using Molt.Firmware;

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

        /// <summary>
        /// The MCFG's windows as facts, parsed by <see cref="McfgTable.Parse"/>
        /// (the one MCFG parser: the PCI driver and the host tests use it too).
        /// </summary>
        public static void ReadMcfg(ref AcpiTables tables, PciEcamFacts* facts)
        {
            AcpiHeader* t = tables.Find("MCFG");
            if (t == null) return;
            facts->HasMcfg = true;
            EcamRegion* regions = stackalloc EcamRegion[PciEcamFacts.MaxWindows];
            string why = McfgTable.Parse(new System.ReadOnlySpan<byte>(t, (int)t->Length), new System.Span<EcamRegion>(regions, PciEcamFacts.MaxWindows), out int count, out int skipped);
            if (why != null)
            {
                if (!tables.Quiet) Log.Warn("pci", $"MCFG refused: {why}");
                return;
            }
            facts->Dropped += skipped;
            if (skipped != 0 && !tables.Quiet)
                Log.Warn("pci", $"MCFG: {skipped} entries malformed (zero or unaligned base, end bus below start) or past {PciEcamFacts.MaxWindows} windows; ignored");
            // McfgTable gives where the first bus starts; the facts keep the table's base (bus 0's place).
            for (int i = 0; i < count; i++)
                facts->Add(regions[i].Base - ((ulong)regions[i].StartBus << 20), regions[i].Segment, regions[i].StartBus, regions[i].EndBus);
        }
    }
}
