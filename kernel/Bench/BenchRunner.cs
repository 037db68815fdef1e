using System;
using Molt.Boot;
using Molt.Console;
using Molt.Hal;
using Molt.Time;

namespace Molt.Bench
{
    /// <summary>A registered benchmark: a name (subsystem.what) and a function that reports one or more rows.</summary>
    public unsafe struct BenchCase
    {
        public string Name;
        public delegate*<void> Body;
    }

    /// <summary>
    /// One result row. <see cref="Milli"/> is the value times 1000 (the
    /// kernel formats numbers without floating point). <see cref="Iterations"/>
    /// counts the operations timed in one repeat, summed over every CPU that ran them.
    /// </summary>
    public struct BenchResult
    {
        public string Name;
        public int Cpus;
        public string Note;
        public long Milli;
        public string Unit;
        public long Iterations;
        public int Repeats;
    }

    /// <summary>
    /// Runs the registered benchmarks (see <see cref="AllBenches"/>) when the
    /// command line says <c>bench</c>; with <c>bench.filter=prefix</c> only
    /// benchmarks whose names start with the prefix run. Each benchmark
    /// reports rows with <see cref="Report"/>; at the end the runner prints
    /// them as a table, then one line per row:
    /// <code>BENCH {"name":"heap.alloc_free","arch":"x86_64","cpus":2,"value":123.456,"unit":"ns/op","iterations":300000,"repeats":5,"config":"cpus=2, 16-256 B"}</code>
    /// Values are medians of <see cref="Measure.Repeats"/> repeats (see <see cref="Measure"/>).
    /// </summary>
    public static unsafe class BenchRunner
    {
        public const int MaxBenches = 64;
        public const int MaxResults = 128;
        private static BenchCase[] s_benches;
        private static int s_count;
        private static BenchResult[] s_results;
        private static int s_resultCount;

        public static void Add(string name, delegate*<void> body)
        {
            if (s_benches == null) s_benches = new BenchCase[MaxBenches];
            if (s_count >= MaxBenches) Diagnostics.Panic.Fail("too many benchmarks: raise BenchRunner.MaxBenches");
            s_benches[s_count].Name = name;
            s_benches[s_count].Body = body;
            s_count++;
        }

        /// <summary>Records a row. <paramref name="note"/> is a constant describing the configuration beyond the CPU count.</summary>
        public static void Report(string name, int cpus, string note, long milli, string unit, long iterations, int repeats = Measure.Repeats)
        {
            if (s_resultCount >= MaxResults) Diagnostics.Panic.Fail("too many benchmark rows: raise BenchRunner.MaxResults");
            ref BenchResult r = ref s_results[s_resultCount++];
            r.Name = name;
            r.Cpus = cpus;
            r.Note = note;
            r.Milli = milli;
            r.Unit = unit;
            r.Iterations = iterations;
            r.Repeats = repeats;
            Log.Info("bench", $"{name} cpus={cpus}: {milli / 1000}.{milli % 1000:d3} {unit} ({iterations} iterations)");
        }

        /// <summary>Runs the benchmarks and prints the results. Returns the number of rows.</summary>
        public static int RunAll(CommandLine cmd)
        {
            AllBenches.Register();
            s_results = new BenchResult[MaxResults];
            s_resultCount = 0;
            Measure.Prepare();
            byte* filter; int filterLength;
            bool filtered = cmd.TryGet("bench.filter", out filter, out filterLength);
            Log.Info("bench", $"{s_count} benchmarks registered, {Smp.Processors.Online} CPUs online, timestamp {Clock.FrequencyHz / 1000} kHz");
            ulong start = Clock.NanosecondsSinceBoot();
            for (int i = 0; i < s_count; i++)
            {
                if (filtered && !StartsWith(s_benches[i].Name, filter, filterLength)) continue;
                Log.Info("bench", $"running {s_benches[i].Name}");
                s_benches[i].Body();
            }
            Measure.Release();
            Log.Info("bench", $"ran in {(Clock.NanosecondsSinceBoot() - start) / 1000000} ms");
            bool irq = KernelConsole.Lock();
            PrintTable();
            for (int i = 0; i < s_resultCount; i++) PrintJson(ref s_results[i]);
            KernelConsole.Unlock(irq);
            int rows = s_resultCount;
            Memory.Heap.Free(s_results);
            s_results = null;
            return rows;
        }

        // ---- the table ----
        private const int NameWidth = 29, ConfigWidth = 40, ValueWidth = 14, UnitWidth = 7, IterationsWidth = 12;

        private static void PrintTable()
        {
            KernelConsole.Write('\n');
            Cell("benchmark", NameWidth); Cell("configuration", ConfigWidth);
            RightCell("value", ValueWidth); KernelConsole.Write("  "); Cell("unit", UnitWidth);
            RightCell("iterations", IterationsWidth); KernelConsole.Write('\n');
            for (int i = 0; i < NameWidth + ConfigWidth + ValueWidth + 2 + UnitWidth + IterationsWidth; i++) KernelConsole.Write('-');
            KernelConsole.Write('\n');
            Span<char> buf = stackalloc char[32];
            for (int i = 0; i < s_resultCount; i++)
            {
                ref BenchResult r = ref s_results[i];
                Cell(r.Name, NameWidth);
                int configLength = WriteConfig(ref r);
                Pad(configLength, ConfigWidth);
                int n = FormatFixed(r.Milli, DecimalsFor(r.Unit), buf);
                Pad(n, ValueWidth);
                KernelConsole.Write(buf.Slice(0, n));
                KernelConsole.Write("  ");
                Cell(r.Unit, UnitWidth);
                n = TextFormat.FormatDecimal(r.Iterations, buf);
                Pad(n, IterationsWidth);
                KernelConsole.Write(buf.Slice(0, n));
                KernelConsole.Write('\n');
            }
            KernelConsole.Write("value: median of ");
            KernelConsole.WriteDecimal(Measure.Repeats);
            KernelConsole.Write(" repeats (ratio and ops/s rows are computed from those medians); iterations: operations per repeat, all CPUs together\n\n");
        }

        private static void Cell(string s, int width)
        {
            KernelConsole.Write(s);
            Pad(s.Length, width);
        }

        private static void RightCell(string s, int width)
        {
            Pad(s.Length, width);
            KernelConsole.Write(s);
        }

        private static void Pad(int length, int width)
        {
            if (length >= width) { KernelConsole.Write(' '); return; }
            for (int i = length; i < width; i++) KernelConsole.Write(' ');
        }

        /// <summary>Writes "cpus=N, note"; returns its length.</summary>
        private static int WriteConfig(ref BenchResult r)
        {
            Span<char> buf = stackalloc char[12];
            int n = TextFormat.FormatDecimal(r.Cpus, buf);
            KernelConsole.Write("cpus=");
            KernelConsole.Write(buf.Slice(0, n));
            int length = 5 + n;
            if ((object)r.Note != null && r.Note.Length > 0)
            {
                KernelConsole.Write(", ");
                KernelConsole.Write(r.Note);
                length += 2 + r.Note.Length;
            }
            return length;
        }

        private static int DecimalsFor(string unit) => unit.Equals("ops/s") ? 0 : unit.Equals("ratio") ? 3 : 1;

        /// <summary>Formats a value given in thousandths with <paramref name="decimals"/> (0..3) digits after the point, rounded half up.</summary>
        internal static int FormatFixed(long milli, int decimals, Span<char> dest)
        {
            int n = 0;
            if (milli < 0) { dest[n++] = '-'; milli = -milli; }
            long scale = 1;
            for (int i = decimals; i < 3; i++) scale *= 10;
            long v = (milli + scale / 2) / scale;
            long unit = 1;
            for (int i = 0; i < decimals; i++) unit *= 10;
            n += TextFormat.FormatDecimal(v / unit, dest.Slice(n));
            if (decimals > 0)
            {
                dest[n++] = '.';
                long frac = v % unit;
                for (long d = unit / 10; d > 0; d /= 10) dest[n++] = (char)('0' + (int)(frac / d % 10));
            }
            return n;
        }

        // ---- the JSON lines ----
        private static void PrintJson(ref BenchResult r)
        {
            Span<char> buf = stackalloc char[32];
            KernelConsole.Write("BENCH {\"name\":");
            JsonString(r.Name);
            KernelConsole.Write(",\"arch\":");
            JsonString(Cpu.ArchName());
            KernelConsole.Write(",\"cpus\":");
            KernelConsole.WriteDecimal(r.Cpus);
            KernelConsole.Write(",\"value\":");
            int n = FormatFixed(r.Milli, 3, buf);
            KernelConsole.Write(buf.Slice(0, n));
            KernelConsole.Write(",\"unit\":");
            JsonString(r.Unit);
            KernelConsole.Write(",\"iterations\":");
            KernelConsole.WriteDecimal(r.Iterations);
            KernelConsole.Write(",\"repeats\":");
            KernelConsole.WriteDecimal(r.Repeats);
            KernelConsole.Write(",\"config\":\"cpus=");
            KernelConsole.WriteDecimal(r.Cpus);
            if ((object)r.Note != null && r.Note.Length > 0)
            {
                KernelConsole.Write(", ");
                JsonChars(r.Note);
            }
            KernelConsole.Write("\"}\n");
        }

        private static void JsonString(string s)
        {
            KernelConsole.Write('"');
            JsonChars(s);
            KernelConsole.Write('"');
        }

        private static void JsonChars(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c == '"' || c == '\\') { KernelConsole.Write('\\'); KernelConsole.Write(c); }
                else if (c < ' ') KernelConsole.Write(' ');
                else KernelConsole.Write(c);
            }
        }

        private static bool StartsWith(string name, byte* prefix, int length)
        {
            if (name.Length < length) return false;
            for (int i = 0; i < length; i++) if (name[i] != prefix[i]) return false;
            return true;
        }
    }
}
