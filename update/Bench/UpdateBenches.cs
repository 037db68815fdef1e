using System.Runtime.CompilerServices;
using System.Threading;
using Molt.Bench;
using Molt.Memory;
using Molt.Smp;
using Molt.Threading;
using Molt.Time;
using Molt.Update.Tests;
using Thread = Molt.Threading.Thread;

namespace Molt.Update.Bench
{
    /// <summary>
    /// The cost of updatability.
    /// <c>update.call.*</c>: one call, three ways, on the boot thread inside
    /// an operation: a direct (non-virtual, not inlined) call; an interface
    /// call on a held reference; and a call through the object table
    /// (<c>Objects.Use</c>: per-CPU table lookup, type check, interface call).
    /// Ratio rows compare the table call with the other two.
    /// <c>update.quiescence.*</c>: request to system-wide marker, median of
    /// repeats, with every CPU idle, then with a thread on every CPU in a
    /// checkpointing loop of object calls.
    /// <c>update.swap.*</c>: a two-object swap (a per-CPU counter and a map)
    /// under that load: start-to-commit latency (median), and the longest
    /// time any call waited in a Block phase over all swaps.
    /// <c>update.memory.*</c>: heap bytes per updatable object that has not
    /// been swapped yet (root and one shared representative of 16 bytes; the
    /// mediator's caller slots and adapter table come with the first swap
    /// or adapter) and LTT bytes per object per CPU.
    /// </summary>
    internal static unsafe class UpdateBenches
    {
        public static void Register()
        {
            BenchRunner.Add("update.call", &Calls);
            BenchRunner.Add("update.quiescence", &QuiescenceRows);
            BenchRunner.Add("update.swap", &SwapRows);
            BenchRunner.Add("update.memory", &MemoryRows);
        }

        public interface IProbe { int Step(int x); }
        public sealed class Probe : IProbe
        {
            [MethodImpl(MethodImplOptions.NoInlining)] public int Direct(int x) => x + 1;
            [MethodImpl(MethodImplOptions.NoInlining)] public int Step(int x) => x + 1;
        }
        // Other implementers, so the compiler cannot turn the interface call into a type test.
        public sealed class ProbeB : IProbe { public int Step(int x) => x + 2; }
        public sealed class ProbeC : IProbe { public int Step(int x) => x + 3; }

        public sealed class ProbeFactory : UpdatableFactory
        {
            public ProbeFactory() { Name = "probe"; Version = 1; ExportFormats = 2; ImportFormats = 2; }
            public override object CreateRepresentative(ObjectRoot root, int cpu) => new Probe();
            public override bool ImportState(object into, object from, int format) => true;
        }

        private static Probe s_probe;
        private static IProbe s_iprobe;
        private static ObjectId s_probeId;
        private static int s_sink;

        [MethodImpl(MethodImplOptions.NoInlining)] private static IProbe Pick(int which) => which == 0 ? s_probe : which == 1 ? new ProbeB() : (IProbe)new ProbeC();

        private static ulong RunDirect(long n)
        {
            Probe p = s_probe; int x = 0;
            ulong start = Hal.Cpu.ReadTimestamp();
            for (long i = 0; i < n; i++) x = p.Direct(x);
            ulong t = Hal.Cpu.ReadTimestamp() - start;
            s_sink = x;
            return t;
        }

        private static ulong RunInterface(long n)
        {
            IProbe p = s_iprobe; int x = 0;
            ulong start = Hal.Cpu.ReadTimestamp();
            for (long i = 0; i < n; i++) x = p.Step(x);
            ulong t = Hal.Cpu.ReadTimestamp() - start;
            s_sink = x;
            return t;
        }

        private static ulong RunTable(long n)
        {
            ObjectId id = s_probeId; int x = 0;
            ulong start = Hal.Cpu.ReadTimestamp();
            for (long i = 0; i < n; i++)
                using (var c = Objects.Use<IProbe>(id)) x = c.Target.Step(x);
            ulong t = Hal.Cpu.ReadTimestamp() - start;
            s_sink = x;
            return t;
        }

        private static void Calls()
        {
            s_probe = new Probe();
            s_iprobe = Pick(0);
            IProbe b = Pick(1), c = Pick(2);
            var cls = new UpdatableClass("probe", new ProbeFactory());
            s_probeId = cls.Create();
            Operations.Begin();
            long n1, n2, n3;
            ulong direct = Measure.Median(&RunDirect, out n1);
            ulong iface = Measure.Median(&RunInterface, out n2);
            ulong table = Measure.Median(&RunTable, out n3);
            // The ratio rows come from paired back-to-back rounds, not from the
            // medians above: on a busy host the medians drift apart run to run.
            long tableVsInterface = Measure.PairedRatio(&RunInterface, n2, &RunTable, n3);
            long tableVsDirect = Measure.PairedRatio(&RunDirect, n1, &RunTable, n3);
            Operations.End();
            int cpus = Processors.Online;
            long d = Measure.MilliNsPerOp(direct, n1), i = Measure.MilliNsPerOp(iface, n2), t = Measure.MilliNsPerOp(table, n3);
            BenchRunner.Report("update.call.direct", cpus, "sealed class, not inlined", d, "ns/op", n1);
            BenchRunner.Report("update.call.interface", cpus, "held interface reference", i, "ns/op", n2);
            BenchRunner.Report("update.call.object_table", cpus, "Objects.Use + interface call", t, "ns/op", n3);
            BenchRunner.Report("update.call.table_vs_interface", cpus, "object table / interface call, paired rounds", tableVsInterface, "ratio", n3);
            BenchRunner.Report("update.call.table_vs_direct", cpus, "object table / direct call, paired rounds", tableVsDirect, "ratio", n3);
            Heap.Free(b); Heap.Free(c);
        }

        // ---- load: a thread per CPU calling two objects in a checkpointing loop ----
        private static ObjectId s_counter, s_map;
        private static volatile int s_stop;

        private static void Load(nint index)
        {
            int n = 0;
            while (s_stop == 0)
            {
                using (var c = Objects.Use<ICounter>(s_counter)) c.Target.Increment();
                using (var m = Objects.Use<IKeyValueV1>(s_map)) m.Target.Put((int)index, n++);
                Operations.Checkpoint();
            }
        }

        private static Thread[] StartLoad()
        {
            if (!s_counter.IsValid)
            {
                s_counter = new UpdatableClass("counter", new CounterFactory(1, 2, 2)).Create();
                s_map = new UpdatableClass("kv", new KeyValueFactoryV1()).Create();
            }
            s_stop = 0;
            int n = Processors.Online;
            var threads = new Thread[n];
            for (int i = 0; i < n; i++) threads[i] = Scheduler.Spawn(&Load, i, "load", i);
            Scheduler.Sleep(5_000_000);
            return threads;
        }

        private static void StopLoad(Thread[] threads)
        {
            s_stop = 1;
            for (int i = 0; i < threads.Length; i++) { threads[i].Join(); Heap.Free(threads[i]); }
            Heap.Free(threads);
        }

        private const int Samples = 9;

        private static ulong MedianMarkerNs()
        {
            ulong* s = stackalloc ulong[Samples];
            for (int i = 0; i < Samples; i++) s[i] = Quiescence.MeasureMarker();
            for (int i = 1; i < Samples; i++) for (int j = i; j > 0 && s[j - 1] > s[j]; j--) { ulong x = s[j]; s[j] = s[j - 1]; s[j - 1] = x; }
            return s[Samples / 2];
        }

        private static void QuiescenceRows()
        {
            int cpus = Processors.Online;
            BenchRunner.Report("update.quiescence.idle", cpus, "request to system-wide marker, idle", (long)MedianMarkerNs(), "us", Samples, Samples);
            Thread[] load = StartLoad();
            BenchRunner.Report("update.quiescence.busy", cpus, "request to marker, every CPU calling objects", (long)MedianMarkerNs(), "us", Samples, Samples);
            StopLoad(load);
        }

        private const int Swaps = 20;

        private static void SwapRows()
        {
            int cpus = Processors.Online;
            Thread[] load = StartLoad();
            var v2 = new CounterFactory(2, 2, 2);
            var m2 = new KeyValueFactoryV1(); m2.Version = 2;
            int[] ids = { s_counter.Value, s_map.Value };
            var to = new UpdatableFactory[2];
            ulong* total = stackalloc ulong[Swaps];
            int ok = 0;
            HotSwap.ResetBlockedStatistics();
            for (int s = 0; s < Swaps; s++)
            {
                // Even: a level up to version 2; odd: that level rolled back (also a swap of both objects).
                to[0] = v2;
                to[1] = m2;
                UpdateReport r = (s & 1) == 0 ? UpdateManager.SwapObjects("bench", ids, to) : UpdateManager.RollbackLast();
                if (r.Committed) total[ok++] = r.ForwardNs + r.BlockNs; // start of the swap to commit
            }
            ulong maxBlocked = HotSwap.MaxBlockedNs;
            StopLoad(load);
            for (int i = 1; i < ok; i++) for (int j = i; j > 0 && total[j - 1] > total[j]; j--) { ulong x = total[j]; total[j] = total[j - 1]; total[j - 1] = x; }
            BenchRunner.Report("update.swap.latency", cpus, "2 objects, start to commit, under load", ok == 0 ? 0 : (long)total[ok / 2], "us", ok, ok);
            BenchRunner.Report("update.swap.max_blocked", cpus, "longest wait of any call, all swaps", (long)maxBlocked, "us", HotSwap.BlockedCalls, ok);
            Heap.Free(ids); Heap.Free(to);
        }

        public sealed class Tiny { public long A, B; }
        public sealed class TinyFactory : UpdatableFactory
        {
            public TinyFactory() { Name = "tiny"; Version = 1; ExportFormats = 2; ImportFormats = 2; }
            public override object CreateRepresentative(ObjectRoot root, int cpu) => new Tiny();
            public override bool ImportState(object into, object from, int format) => true;
        }

        private static void MemoryRows()
        {
            const int N = 1000;
            var cls = new UpdatableClass("tiny", new TinyFactory());
            cls.Create(); // grows the instance list once, outside the measurement
            long before = Heap.BytesInUse;
            for (int i = 0; i < N; i++) cls.Create();
            long after = Heap.BytesInUse;
            int cpus = Processors.Online;
            BenchRunner.Report("update.memory.object", cpus, "root + 16-byte representative, never swapped", (after - before) * 1000 / N, "bytes", N, 1);
            BenchRunner.Report("update.memory.ltt_entry", cpus, "per object per CPU, preallocated", sizeof(nint) * 1000, "bytes", Objects.MaxObjects, 1);
        }
    }
}
