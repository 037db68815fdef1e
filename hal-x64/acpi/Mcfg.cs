using Molt.Acpi;
using Molt.Console;

namespace Molt.Arch.X64
{
    /// <summary>
    /// PCI Express ECAM regions from the ACPI MCFG table: for each segment
    /// group, the physical base of its configuration space and the bus range.
    /// Without an MCFG (or with a malformed one) PCI falls back to port I/O
    /// configuration access (0xCF8/0xCFC), which every PC and QEMU machine has.
    /// </summary>
    internal static unsafe class Mcfg
    {
        public const int MaxRegions = 8;

        private struct Regions
        {
            public fixed ulong Base[MaxRegions];
            public fixed ushort Segment[MaxRegions];
            public fixed byte StartBus[MaxRegions];
            public fixed byte EndBus[MaxRegions];
        }

        private static Regions s;
        public static int Count;

        public static ulong Base(int i) => s.Base[i];
        public static byte StartBus(int i) => s.StartBus[i];
        public static byte EndBus(int i) => s.EndBus[i];

        public static void Initialize()
        {
            AcpiHeader* t = AcpiFirmware.Find("MCFG");
            if (t == null) { Log.Info("pci", $"no MCFG: configuration through I/O ports"); return; }
            uint length = t->Length;
            byte* p = (byte*)t;
            for (uint at = 44; at + 16 <= length && Count < MaxRegions; at += 16)
            {
                ulong bas = *(ulong*)(p + at);
                byte start = p[at + 10], end = p[at + 11];
                if (bas == 0 || end < start)
                {
                    Log.Warn("pci", $"MCFG entry at offset {at} is malformed (base {bas:x}, buses {start}-{end}); ignored");
                    continue;
                }
                s.Base[Count] = bas;
                s.Segment[Count] = *(ushort*)(p + at + 8);
                s.StartBus[Count] = start;
                s.EndBus[Count] = end;
                Count++;
            }
            for (int i = 0; i < Count; i++)
                Log.Info("pci", $"ECAM segment {s.Segment[i]} buses {s.StartBus[i]}-{s.EndBus[i]} at {s.Base[i]:x}");
        }
    }
}
