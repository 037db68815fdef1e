using System;
using Molt.Boot;
using Molt.Console;
using Molt.Memory;
using Molt.Threading;
using Molt.Time;

namespace Molt.Update.Patching
{
    /// <summary>
    /// Patches delivered with the kernel, until the network daemon exists:
    /// the boot module (QEMU <c>-initrd</c>) is a cpio archive whose
    /// <c>*.bundle</c> files are applied, in archive order, by a kernel
    /// thread <c>patch.apply=MS</c> milliseconds after boot, while the
    /// rest of the kernel (and any load) runs. Each outcome is one log line
    /// naming the file; <c>patch.rollback=LEVEL</c> then rolls back to that
    /// level. A refused bundle changes nothing and the next one is tried.
    /// </summary>
    public static unsafe class BootPatches
    {
        private static ulong s_moduleVirtual, s_moduleSize;
        private static ulong s_delayMs;
        private static long s_rollbackTo = -1;
        private static volatile int s_done;

        /// <summary>Whether the apply thread has finished (all bundles tried, rollback done), or was never asked for.</summary>
        public static bool Done => s_done != 0 || !s_started;

        private static bool s_started;

        /// <summary>The boot module's bytes (empty when there is none).</summary>
        public static ReadOnlySpan<byte> Module => s_moduleSize == 0 ? default : new ReadOnlySpan<byte>((void*)s_moduleVirtual, (int)s_moduleSize);

        /// <summary>The boot module's file named <paramref name="fileName"/> (exactly), or empty.</summary>
        public static ReadOnlySpan<byte> Find(ReadOnlySpan<byte> fileName)
        {
            var archive = new BootArchive(Module);
            while (archive.Next(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data))
                if (name.SequenceEqual(fileName)) return data;
            return default;
        }

        /// <summary>Boot, after the scheduler and services: starts the apply thread when asked.</summary>
        public static void Start(BootInfo* boot, ref CommandLine cmd)
        {
            if (boot->ModuleSize != 0 && boot->ModuleSize < int.MaxValue)
            {
                s_moduleVirtual = (ulong)FrameAllocator.ToVirtual(boot->ModulePhysical);
                s_moduleSize = boot->ModuleSize;
            }
            if (!cmd.TryGetNumber("patch.apply", out s_delayMs)) return;
            if (cmd.TryGetNumber("patch.rollback", out ulong level)) s_rollbackTo = (long)level;
            if (s_moduleSize == 0)
            {
                Log.Warn("patch", $"patch.apply= given, but there is no boot module (QEMU: -initrd bundles.cpio)");
                s_done = 1;
                return;
            }
            s_started = true;
            Scheduler.Spawn(&ApplyAll, 0, "boot-patches", -1);
        }

        private static void ApplyAll(nint unused)
        {
            Scheduler.Sleep(s_delayMs * 1_000_000);
            var archive = new BootArchive(Module);
            int tried = 0, applied = 0;
            while (archive.Next(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data))
            {
                if (!name.EndsWith(".bundle"u8)) continue;
                tried++;
                PatchReport r = PatchApplier.Apply(data);
                if (r.Committed) applied++;
                PatchLog.Outcome(name, in r);
            }
            if (archive.Error != null)
                Log.Warn("patch", $"boot module: {archive.Error} at byte {archive.ErrorOffset}");
            Log.Info("patch", $"boot bundles: {applied} of {tried} applied, patch level {PatchStack.Level}");
            if (s_rollbackTo >= 0)
            {
                UpdateReport rb = PatchStack.RollbackTo((int)s_rollbackTo);
                if (rb.Committed) Log.Info("patch", $"rolled back to level {PatchStack.Level} in {rb.TotalNs / 1000} us");
                else Log.Warn("patch", $"rollback to level {s_rollbackTo} stopped at level {PatchStack.Level}: {rb.Reason}");
            }
            s_done = 1;
        }
    }
}
