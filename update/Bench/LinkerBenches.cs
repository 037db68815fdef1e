using System;
using Molt.Bench;
using Molt.Smp;
using Molt.Update.Linker;

namespace Molt.Update.Bench
{
    /// <summary>
    /// The runtime linker's cost: the embedded test patch (tests/patches/linkprobe)
    /// loaded and unloaded repeatedly; <see cref="PatchModule.LinkNanoseconds"/>
    /// covers parse, plan, mapping, resolution, copy, relocation, header
    /// checks, exports and protection (not initialization).
    /// <c>update.link.per_kib</c>: median link time per KiB of object.
    /// <c>update.link.object</c>: median link time of the whole object.
    /// Each load retires its addresses (never reused), about 24 KiB of the
    /// patch region per load here.
    /// </summary>
    internal static unsafe class LinkerBenches
    {
        private const int Loads = 15;

        public static void Register() => BenchRunner.Add("update.link", &Link);

        private static void Link()
        {
            ReadOnlySpan<byte> elf = PatchFixtures.Find("linkprobe");
            if (elf.Length == 0) { Console.Log.Warn("bench", $"update.link: no embedded linkprobe object"); return; }
            ulong* times = stackalloc ulong[Loads];
            int n = 0;
            var err = new LinkError();
            for (int i = 0; i < Loads; i++)
            {
                PatchModule m;
                if (!PatchLoader.Load(elf, out m, ref err)) { Console.Log.Warn("bench", $"update.link: load failed ({(int)err.Code})"); return; }
                times[n++] = m.LinkNanoseconds;
                PatchLoader.Unload(m);
            }
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && times[j - 1] > times[j]; j--) { ulong t = times[j]; times[j] = times[j - 1]; times[j - 1] = t; }
            ulong median = times[n / 2];
            int cpus = Processors.Online;
            // Milli units: value * 1000. ns -> us is /1000, so us*1000 = ns.
            BenchRunner.Report("update.link.per_kib", cpus, "linkprobe.o, parse to protect", (long)(median * 1024 / (ulong)elf.Length), "us/KiB", n, 1);
            BenchRunner.Report("update.link.object", cpus, "linkprobe.o, parse to protect", (long)median, "us", n, 1);
            BenchRunner.Report("update.link.object_bytes", cpus, "linkprobe.o size", (long)elf.Length * 1000, "bytes", 1, 1);
        }
    }
}
