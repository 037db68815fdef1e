using System;
using Molt.Update.Bundles;
using Molt.Update.Linker;

namespace Molt.Update.Patching
{
    /// <summary>One applied patch: its module, what it was, and when.</summary>
    public sealed unsafe class PatchRecord
    {
        public PatchModule Module;
        public ulong Sequence;
        /// <summary>The update core's level this patch's swap pushed (rolling it back returns to Level - 1).</summary>
        public int UpdateLevel;
        public ulong AppliedAtNs;
        public ulong TotalNs, MaxBlockedNs;
        /// <summary>Bytes of patch memory its module occupies.</summary>
        public ulong ModuleBytes;
        public string Name;
        /// <summary>Classes published from this index on are this patch's (<see cref="PatchTargets"/>).</summary>
        public int PublishedFrom;
        /// <summary>Whether the patch changed the update core (a patch that only adds types did not).</summary>
        public bool Swapped;
    }

    /// <summary>
    /// The applied patches, oldest first: patch level N is the stack's
    /// depth, and a bundle stacks on exactly the level it names. Rollback
    /// pops level by level (N, then N-1, ...): the update core first puts the
    /// previous versions back, then, once no CPU can still be running the
    /// patch's code (a quiescent point), its module is unloaded and its
    /// memory reclaimed. The last sequence number survives rollbacks, so an
    /// old bundle can never be replayed after one.
    /// </summary>
    public static class PatchStack
    {
        public const int Capacity = 64;

        private static PatchRecord[] s_records;
        private static int s_depth;
        private static ulong s_lastSequence;

        public static int Level => s_depth;
        public static ulong LastSequence => s_lastSequence;
        public static PatchRecord At(int level) => level >= 1 && level <= s_depth ? s_records[level - 1] : null;

        internal static void Push(PatchModule module, in BundleView bundle, string name, int updateLevel, bool swapped, int publishedFrom, in PatchReport report)
        {
            if (s_records == null) s_records = new PatchRecord[Capacity];
            var r = new PatchRecord
            {
                Module = module,
                Sequence = bundle.Sequence,
                UpdateLevel = updateLevel,
                PublishedFrom = publishedFrom,
                Swapped = swapped,
                AppliedAtNs = Time.Clock.NanosecondsSinceBoot(),
                TotalNs = report.TotalNs,
                MaxBlockedNs = report.MaxBlockedNs,
                ModuleBytes = report.ModuleBytes,
                Name = name,
            };
            s_records[s_depth++] = r;
            s_lastSequence = bundle.Sequence;
        }

        internal static bool IsFull => s_depth == Capacity;

        /// <summary>
        /// Rolls back to patch level <paramref name="level"/> (0 = no patch),
        /// one level at a time; stops at the first level the update core
        /// cannot roll back and reports it. Unloads each popped module.
        /// </summary>
        public static UpdateReport RollbackTo(int level)
        {
            if (level < 0 || level > s_depth)
                return UpdateReport.Refused(SwapOutcome.Invalid, UpdateStep.Validate, "no such patch level to roll back to");
            UpdateReport total = default;
            total.Outcome = SwapOutcome.Committed;
            while (s_depth > level)
            {
                PatchRecord top = s_records[s_depth - 1];
                if (!PatchTargets.UnpublishFrom(top.PublishedFrom))
                {
                    UpdateReport busy = UpdateReport.Refused(SwapOutcome.Invalid, UpdateStep.Validate,
                        "a class the patch added still has objects: destroy them before rolling the patch back");
                    busy.Level = s_depth;
                    return busy;
                }
                if (top.Swapped)
                {
                    UpdateReport one = UpdateManager.RollbackTo(top.UpdateLevel - 1);
                    total.TotalNs += one.TotalNs;
                    if (one.MaxBlockedNs > total.MaxBlockedNs) total.MaxBlockedNs = one.MaxBlockedNs;
                    if (!one.Committed) { one.Level = s_depth; return one; }
                }
                s_records[--s_depth] = null;
                // The update core waited for a quiescent point before freeing the
                // old representatives; wait for one more so that no call that
                // entered the patch's code before the rollback is still inside.
                Quiescence.WaitForMarker();
                PatchLoader.Unload(top.Module);
                Memory.Heap.Free(top.Name);
                Memory.Heap.Free(top);
            }
            total.Level = s_depth;
            return total;
        }

        /// <summary>A heap string of a bundle's name (ASCII; other bytes become '?'). The caller frees it.</summary>
        internal static unsafe string NameOf(ReadOnlySpan<byte> utf8)
        {
            char* chars = stackalloc char[utf8.Length];
            for (int i = 0; i < utf8.Length; i++) chars[i] = utf8[i] < 0x80 ? (char)utf8[i] : '?';
            return string.Create(new ReadOnlySpan<char>(chars, utf8.Length));
        }
    }
}
