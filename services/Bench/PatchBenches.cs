using System;
using Molt.Bench;
using Molt.Smp;
using Molt.Update;
using Molt.Update.Patching;

namespace Molt.Services.Bench
{
    /// <summary>
    /// <c>update.patch.*</c>: the example patches (examples/patches), applied
    /// once each in stack order from the boot module (make bench builds and
    /// passes them), bundle in memory to commit, on a kernel whose every CPU is
    /// otherwise idle: the total apply time, its parts, the longest time any
    /// call waited in the Block phase, and the bundle's size. One sample each:
    /// a sequence number can be applied only once (replay protection), so
    /// compare rows within one run. Then everything is rolled back.
    /// </summary>
    internal static unsafe class PatchBenches
    {
        public static void Register() => BenchRunner.Add("update.patch", &Apply);

        private const int Examples = 4;

        /// <summary>The example bundles' file names in the boot module, in stack order.</summary>
        private static ReadOnlySpan<byte> FileOf(int i) => i switch
        {
            0 => "kv-fix-case.bundle"u8,
            1 => "kv-versions.bundle"u8,
            2 => "kv-adapter.bundle"u8,
            _ => "kv-audit.bundle"u8,
        };

        private static void Apply()
        {
            int cpus = Processors.Online;
            int applied = 0;
            for (int i = 0; i < Examples; i++)
            {
                ReadOnlySpan<byte> bundle = BootPatches.Find(FileOf(i));
                if (bundle.IsEmpty) continue;
                PatchReport r = PatchApplier.Apply(bundle);
                if (!r.Committed) { PatchLog.Outcome(FileOf(i), in r); continue; }
                applied++;
                BenchRunner.Report(s_rows[i * 6 + 0], cpus, "bundle in memory to commit", (long)r.TotalNs, "us", 1, 1);
                BenchRunner.Report(s_rows[i * 6 + 1], cpus, "Ed25519 + SHA-512 over the bundle", (long)r.VerifyNs, "us", 1, 1);
                BenchRunner.Report(s_rows[i * 6 + 2], cpus, "load, link, protect", (long)r.LinkNs, "us", 1, 1);
                BenchRunner.Report(s_rows[i * 6 + 3], cpus, "the update core's swap", (long)r.SwapNs, "us", 1, 1);
                BenchRunner.Report(s_rows[i * 6 + 4], cpus, "longest call wait in Block", (long)r.MaxBlockedNs, "us", 1, 1);
                BenchRunner.Report(s_rows[i * 6 + 5], cpus, "signed bundle size", bundle.Length * 1000L, "bytes", 1, 1);
            }
            if (applied == 0) BenchRunner.Report("update.patch.none", cpus, "no example bundles in the boot module (make bench builds them)", 0, "count", 0, 1);
            PatchStack.RollbackTo(0);
        }

        // Row names as literals: the kernel's strings are not concatenated at run time.
        private static readonly string[] s_rows =
        {
            "update.patch.kv-fix-case.apply", "update.patch.kv-fix-case.verify", "update.patch.kv-fix-case.link", "update.patch.kv-fix-case.swap", "update.patch.kv-fix-case.max_blocked", "update.patch.kv-fix-case.bundle_bytes",
            "update.patch.kv-versions.apply", "update.patch.kv-versions.verify", "update.patch.kv-versions.link", "update.patch.kv-versions.swap", "update.patch.kv-versions.max_blocked", "update.patch.kv-versions.bundle_bytes",
            "update.patch.kv-adapter.apply", "update.patch.kv-adapter.verify", "update.patch.kv-adapter.link", "update.patch.kv-adapter.swap", "update.patch.kv-adapter.max_blocked", "update.patch.kv-adapter.bundle_bytes",
            "update.patch.kv-audit.apply", "update.patch.kv-audit.verify", "update.patch.kv-audit.link", "update.patch.kv-audit.swap", "update.patch.kv-audit.max_blocked", "update.patch.kv-audit.bundle_bytes",
        };
    }
}
