using System.Threading;
using Molt.Memory;
using Molt.Smp;
using Molt.Testing;
using Molt.Threading;
using Molt.Update;
using Event = Molt.Threading.Event;
using Thread = Molt.Threading.Thread;

namespace Molt.Update.Tests
{
    /// <summary>
    /// One test per bug fixed in the update core; each failed before its fix
    /// (docs/dynamic-update.md, "Fixed").
    /// </summary>
    internal static unsafe class UpdateFixTests
    {
        public static void Register()
        {
            TestRunner.Add("update.fix.two_lazy_classes_both_convert", &TwoLazyClasses);
            TestRunner.Add("update.fix.snapshot_survives_a_growing_list", &SnapshotSurvivesGrowth);
            TestRunner.Add("update.fix.snapshot_outside_an_operation_survives_a_collection", &SnapshotSurvivesCollection);
            TestRunner.Add("update.fix.rollback_undoes_a_lazy_update", &RollbackUndoesLazy);
            TestRunner.Add("update.lazy.armed_class_survives_an_object_update", &ArmedClassSurvivesObjectUpdate);
        }

        private static int Cpus => Processors.Online;

        private static int[] MakeCells(UpdatableClass cls, CellFactory f, int n, int seed)
        {
            var ids = new int[n];
            for (int i = 0; i < n; i++) { f.NextValue = seed + i; ids[i] = cls.Create().Value; }
            return ids;
        }

        /// <summary>Accesses every cell; counts those not at <paramref name="version"/> or with a value other than seed + i.</summary>
        private static int CountWrong(int[] ids, int version, int seed)
        {
            int wrong = 0;
            Operations.Begin();
            for (int i = 0; i < ids.Length; i++)
                using (var c = Objects.Use<ICell>(new ObjectId(ids[i])))
                    if (c.Target.Version != version || c.Target.Value != seed + i) wrong++;
            Operations.End();
            return wrong;
        }

        // Bug 1: only one class could be armed for lazy conversion; arming a
        // second class stranded the first class's unconverted instances
        // (Pending for ever, served uncached by the old version).
        private static void TwoLazyClasses(TestContext t)
        {
            var a1 = new CellFactory(1); var a2 = new CellFactory(2);
            var b1 = new CellFactory(1); var b2 = new CellFactory(2);
            var a = new UpdatableClass("cell-a", a1);
            var b = new UpdatableClass("cell-b", b1);
            int[] ia = MakeCells(a, a1, 20, 100);
            int[] ib = MakeCells(b, b1, 20, 500);
            var ra = UpdateManager.UpdateClassLazily("a-v2", a, a2);
            var rb = UpdateManager.UpdateClassLazily("b-v2", b, b2);
            t.True(ra.Committed && rb.Committed, "both lazy updates armed");
            t.Equal(0, CountWrong(ib, 2, 500), "the second class converts on access");
            t.Equal(0, CountWrong(ia, 2, 100), "the first class still converts on access after a second class was armed");
            UpdateManager.CollectRetired();
            Heap.Free(ia); Heap.Free(ib);
        }

        // Bug 2: UpdatableClass.Remember freed an instance list it had just
        // outgrown while SnapshotInstances on another thread could still be
        // copying it. The hook stops the snapshot after it read the list;
        // a thread on the list's CPU then grows it and reuses the memory.
        private static UpdatableClass s_grown;
        private static int s_growCpu;
        private static Event s_snapReached, s_snapGo;
        private static int[][] s_reuse;

        private static void SnapshotHook(UpdatePoint point, int cpu)
        {
            if (point != UpdatePoint.SnapshotListRead || cpu != s_growCpu || s_snapReached.IsSet) return;
            s_snapReached.Set();
            s_snapGo.Wait();
        }

        private static void CreateOnCpu(nint count)
        {
            for (int i = 0; i < (int)count; i++) s_grown.Create();
        }

        private static bool s_collectWhileSnapshotting;

        private static void GrowAndReuse(nint unused)
        {
            s_snapReached.Wait();
            s_grown.Create(); // the 65th: the list of 64 is replaced by one of 128
            // The snapshot is an operation: no marker can pass, so nothing is freed here.
            if (s_collectWhileSnapshotting) UpdatableClass.CollectRetiredLists(50_000_000);
            // Whatever the old list's memory holds now is not an instance id.
            for (int i = 0; i < s_reuse.Length; i++)
            {
                s_reuse[i] = new int[64];
                for (int j = 0; j < 64; j++) s_reuse[i][j] = -7;
            }
            s_snapGo.Set();
        }

        private static void SnapshotSurvivesGrowth(TestContext t) => SnapshotDuringGrowth(t, false);

        // A caller outside any operation (paused) takes a snapshot while the
        // list it copies is outgrown and a collection runs: the snapshot must
        // count as an operation itself, or the collection frees the list under it.
        private static void SnapshotSurvivesCollection(TestContext t) => SnapshotDuringGrowth(t, true);

        private static void SnapshotDuringGrowth(TestContext t, bool collect)
        {
            UpdatableClass.CollectRetiredLists(Molt.Update.Quiescence.DefaultTimeoutNs);
            s_grown = new UpdatableClass("tiny-list", new CellFactory(1));
            s_growCpu = Cpus - 1;
            s_collectWhileSnapshotting = collect;
            Thread fill = Scheduler.Spawn(&CreateOnCpu, 64, "fill", s_growCpu);
            fill.Join(); Heap.Free(fill);
            s_snapReached = new Event(); s_snapGo = new Event();
            s_reuse = new int[8][];
            UpdateHooks.Set(&SnapshotHook);
            Thread grower = Scheduler.Spawn(&GrowAndReuse, 0, "grow", s_growCpu);
            int depth = collect ? Operations.Pause() : 0;
            int[] snap = s_grown.SnapshotInstances();
            Operations.Resume(depth);
            UpdateHooks.Set(null);
            grower.Join(); Heap.Free(grower);
            int foreign = 0;
            for (int i = 0; i < snap.Length; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(snap[i]));
                if (root == null || root.Class != s_grown) foreign++;
            }
            t.True(snap.Length >= 64, "the snapshot has the 64 instances made before it");
            t.Equal(0, foreign, "every id in the snapshot is an instance of the class (the list it copied was not freed under it)");
            for (int i = 0; i < s_reuse.Length; i++) Heap.Free(s_reuse[i]);
            Heap.Free(s_reuse); Heap.Free(snap); Heap.Free(s_snapReached); Heap.Free(s_snapGo);
            UpdatableClass.CollectRetiredLists(Molt.Update.Quiescence.DefaultTimeoutNs);
        }

        // Bug 3: UpdateClassLazily raised the level without recording the
        // update, so RollbackLast undid the update before it.
        private static void RollbackUndoesLazy(TestContext t)
        {
            var counters = new UpdatableClass("counter", new CounterFactory(1, 1 << 1, 1 << 1));
            ObjectId x = counters.Create();
            int level = UpdateManager.Level;
            var r1 = UpdateManager.SwapObjects("x-v2", new int[] { x.Value }, new UpdatableFactory[] { new CounterFactory(2, 1 << 1, 1 << 1) });
            t.True(r1.Committed, "object update committed");
            var c1 = new CellFactory(1); var c2 = new CellFactory(2);
            var cells = new UpdatableClass("cell", c1);
            int[] ids = MakeCells(cells, c1, 5, 40);
            var r2 = UpdateManager.UpdateClassLazily("cells-v2", cells, c2);
            t.True(r2.Committed, "lazy update armed");
            t.Equal(level + 2, UpdateManager.Level, "two levels up");
            var back = UpdateManager.RollbackLast();
            t.True(back.Committed, "rollback committed");
            t.Equal(level + 1, UpdateManager.Level, "one level down");
            t.Equal(2, Objects.Root(x).Version, "the earlier object update is still in place");
            t.Equal(1, cells.Version, "the lazy update's class is back at version 1");
            t.Equal(0, CountWrong(ids, 1, 40), "its instances serve version 1 with their state");
            var back2 = UpdateManager.RollbackLast();
            t.True(back2.Committed, "the object update rolls back next");
            t.Equal(1, Objects.Root(x).Version, "object back at version 1");
            t.Equal(level, UpdateManager.Level, "level restored");
            UpdateManager.CollectRetired();
            Heap.Free(ids);
        }

        // An update that touches a lazily armed class (here: one of its
        // instances swapped explicitly) disarms it while it runs; the class
        // must be armed again afterwards, or its other instances never convert.
        private static void ArmedClassSurvivesObjectUpdate(TestContext t)
        {
            var c1 = new CellFactory(1);
            var cells = new UpdatableClass("cell", c1);
            int[] ids = MakeCells(cells, c1, 6, 900);
            UpdateReport lazy = UpdateManager.UpdateClassLazily("cells-v2", cells, new CellFactory(2));
            t.True(lazy.Committed, "lazy update armed");
            UpdateReport one = UpdateManager.SwapObjects("one-cell-v3", new int[] { ids[0] }, new UpdatableFactory[] { new CellFactory(3) });
            t.True(one.Committed, "one instance swapped to version 3");
            int wrong = 0;
            Operations.Begin();
            for (int i = 0; i < ids.Length; i++)
                using (var c = Objects.Use<ICell>(new ObjectId(ids[i])))
                    if (c.Target.Version != (i == 0 ? 3 : 2) || c.Target.Value != 900 + i) wrong++;
            Operations.End();
            t.Equal(0, wrong, "the swapped instance is version 3, the others still convert to version 2 on access");
            UpdateManager.CollectRetired();
            Heap.Free(ids);
        }
    }
}
