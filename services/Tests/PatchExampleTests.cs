using System;
using System.Threading;
using Molt.Services.Kv;
using Molt.Smp;
using Molt.Testing;
using Molt.Threading;
using Molt.Update;
using Molt.Update.Patching;
using Thread = Molt.Threading.Thread;

namespace Molt.Services.Tests
{
    /// <summary>
    /// The example patches (examples/patches), applied to the running kernel
    /// while a thread on every CPU writes and reads the key-value store.
    /// Registered only when the boot module holds the example bundles: the
    /// host system test (tests/Molt.Tests/SystemTests/PatchSystemTests.cs)
    /// builds and signs them for this exact kernel and boots it with them.
    /// </summary>
    internal static unsafe class PatchExampleTests
    {
        public static void Register()
        {
            if (BootPatches.Find("kv-fix-case.bundle"u8).IsEmpty) return;
            TestRunner.Add("patch.examples_stack_and_roll_back_under_load", &StackUnderLoad);
        }

        // ---- the load: every CPU writes its own keys and reads each value back ----
        private static volatile int s_stop;
        private static long s_ops, s_errors;

        private static void Load(nint cpu)
        {
            byte* key = stackalloc byte[8];
            byte* value = stackalloc byte[16];
            byte* back = stackalloc byte[64];
            key[0] = (byte)'l'; key[1] = (byte)('0' + (int)cpu);
            long n = 0;
            while (s_stop == 0)
            {
                key[2] = (byte)('a' + n % 8);
                int len = 1 + (int)(n % 15);
                for (int i = 0; i < len; i++) value[i] = (byte)('A' + (n + i) % 26);
                KvResult put, get;
                int got;
                using (var kv = Objects.Use<KvStore>(KvService.Store))
                {
                    put = kv.Target.Put(new ReadOnlySpan<byte>(key, 3), new ReadOnlySpan<byte>(value, len));
                    get = kv.Target.Get(new ReadOnlySpan<byte>(key, 3), new Span<byte>(back, 64), out got);
                }
                // Read-your-write: each CPU owns its keys, so the value must be the one just put.
                bool ok = put == KvResult.Ok && get == KvResult.Ok && got == len;
                for (int i = 0; ok && i < len; i++) ok = back[i] == value[i];
                if (!ok) Interlocked.Increment(ref s_errors);
                Interlocked.Increment(ref s_ops);
                n++;
                Operations.Checkpoint();
            }
        }

        private static int KvImplementation()
        {
            using (var kv = Objects.Use<KvStore>(KvService.Store)) return kv.Target.Implementation();
        }

        private static KvResult Put(string key, string value)
        {
            byte* k = stackalloc byte[key.Length];
            byte* v = stackalloc byte[value.Length];
            for (int i = 0; i < key.Length; i++) k[i] = (byte)key[i];
            for (int i = 0; i < value.Length; i++) v[i] = (byte)value[i];
            using (var kv = Objects.Use<KvStore>(KvService.Store))
                return kv.Target.Put(new ReadOnlySpan<byte>(k, key.Length), new ReadOnlySpan<byte>(v, value.Length));
        }

        private static bool ValueIs(string key, string expected)
        {
            byte* k = stackalloc byte[key.Length];
            for (int i = 0; i < key.Length; i++) k[i] = (byte)key[i];
            byte* back = stackalloc byte[64];
            KvResult r; int n;
            using (var kv = Objects.Use<KvStore>(KvService.Store)) r = kv.Target.Get(new ReadOnlySpan<byte>(k, key.Length), new Span<byte>(back, 64), out n);
            if (r != KvResult.Ok || n != expected.Length) return false;
            for (int i = 0; i < n; i++) if (back[i] != expected[i]) return false;
            return true;
        }

        private static long VersionOf(string key)
        {
            byte* k = stackalloc byte[key.Length];
            for (int i = 0; i < key.Length; i++) k[i] = (byte)key[i];
            using (var kv = Objects.Use<KvStore>(KvService.Store)) return kv.Target.VersionOf(new ReadOnlySpan<byte>(k, key.Length));
        }

        private static bool Apply(TestContext t, ReadOnlySpan<byte> file, int level)
        {
            PatchReport r = PatchApplier.Apply(BootPatches.Find(file));
            PatchLog.Outcome(file, in r);
            return t.True(r.Committed, "the example patch applies") && t.Equal(level, PatchStack.Level, "the patch level");
        }

        private static void StackUnderLoad(TestContext t)
        {
            int baseLevel = PatchStack.Level;
            t.Equal(0, baseLevel, "no patch applied before the test");
            t.Equal(1, KvImplementation(), "v1 serves at boot");
            // v1's bug, seen before the fix: keys differing only in case are one key.
            Put("Apple", "red"); Put("apple", "green");
            t.True(ValueIs("Apple", "green"), "v1 folds keys to lower case (the deliberate bug)");
            Put("kept", "state before any patch");

            s_stop = 0; s_ops = 0; s_errors = 0;
            int cpus = Processors.Online;
            var load = new Thread[cpus];
            for (int c = 0; c < cpus; c++) load[c] = Scheduler.Spawn(&Load, c, "kv-load", c);
            Scheduler.Sleep(20_000_000);

            // 1. A bug fix, code only.
            if (Apply(t, "kv-fix-case.bundle"u8, 1))
            {
                t.Equal(2, KvImplementation(), "v2 serves after kv-fix-case");
                Put("Fruit", "red"); Put("fruit", "green");
                t.True(ValueIs("Fruit", "red") && ValueIs("fruit", "green"), "the fix: keys that differ in case are two keys");
                t.True(ValueIs("kept", "state before any patch"), "state kept across kv-fix-case");
            }
            // 2. A data-layout change with state transfer.
            if (Apply(t, "kv-versions.bundle"u8, 2))
            {
                t.Equal(3, KvImplementation(), "v3 serves after kv-versions");
                t.Equal(1, VersionOf("kept"), "a key that existed gets version 1 from the transfer");
                Put("kept", "state before any patch");
                t.Equal(2, VersionOf("kept"), "each Put adds one to the version");
            }
            // 3. An interface change: kernel callers reach v4 through an adapter.
            if (Apply(t, "kv-adapter.bundle"u8, 3))
            {
                t.Equal(4, KvImplementation(), "v4 (through the adapter) serves after kv-adapter");
                t.True(!(Objects.Root(KvService.Store).RepresentativeFor(0) is KvStore), "v4's representative is not a KvStore: the caller got an adapter");
                t.True(ValueIs("kept", "state before any patch"), "state kept across kv-adapter");
            }
            // 4. A new type, published for later patches.
            if (Apply(t, "kv-audit.bundle"u8, 4))
            {
                UpdatableClass audit = PatchTargets.Find("kv-audit");
                t.True(audit != null, "kv-audit is published");
                t.Equal(4, KvImplementation(), "kv-audit leaves the main store alone");
            }
            Scheduler.Sleep(20_000_000);

            // Roll back one level at a time, with the load still running.
            UpdateReport rb = PatchStack.RollbackTo(3);
            t.True(rb.Committed && PatchTargets.Find("kv-audit") == null, "level 4 rolled back: kv-audit withdrawn");
            rb = PatchStack.RollbackTo(2);
            t.True(rb.Committed, "level 3 rolled back");
            t.Equal(3, KvImplementation(), "v3 serves again at level 2");
            t.True(ValueIs("kept", "state before any patch"), "state kept across the rollback of kv-adapter");
            rb = PatchStack.RollbackTo(1);
            t.Equal(2, KvImplementation(), "v2 serves again at level 1");
            rb = PatchStack.RollbackTo(0);
            t.True(rb.Committed, "back to level 0");
            t.Equal(1, KvImplementation(), "v1 serves again at level 0");
            Put("Berry", "red"); Put("berry", "blue");
            t.True(ValueIs("Berry", "blue"), "v1's bug is back after the rollback");
            t.True(ValueIs("kept", "state before any patch"), "state kept through every level");

            // A replayed bundle is refused even after the rollback.
            PatchReport replay = PatchApplier.Apply(BootPatches.Find("kv-fix-case.bundle"u8));
            PatchLog.Outcome("kv-fix-case.bundle (replayed)"u8, in replay);
            t.True(replay.Step == PatchStep.Policy, "a replayed sequence number is refused");
            t.Equal(0, PatchStack.Level, "the replay changed nothing");

            s_stop = 1;
            for (int c = 0; c < cpus; c++) load[c].Join();
            t.True(s_ops > 1000, "the load ran throughout");
            t.Equal(0, s_errors, "no write lost or doubled under load (read-your-write on every CPU)");
        }
    }
}
