using Molt.Memory;
using Molt.Smp;
using Molt.Testing;
using Molt.Threading;
using Molt.Update;

namespace Molt.Update.Tests
{
    /// <summary>The request/report API, patches applied as one unit, and stacked levels rolled back one by one.</summary>
    internal static unsafe class UpdateApiTests
    {
        public static void Register()
        {
            TestRunner.Add("update.request.refuses_bad_entries_when_built", &RequestRefuses);
            TestRunner.Add("update.report.says_step_object_and_times", &ReportFields);
            TestRunner.Add("update.patch.failed_transfer_undoes_every_part", &PatchTransferFails);
            TestRunner.Add("update.patch.failed_self_check_undoes_every_part", &PatchSelfCheckFails);
            TestRunner.Add("update.levels.roll_back_level_by_level", &LevelByLevel);
        }

        private static CounterFactory Counter(int version) => new CounterFactory(version, 1 << 1, 1 << 1);

        private static void Add(ObjectId id, int n)
        {
            Operations.Begin();
            for (int i = 0; i < n; i++) using (var c = Objects.Use<ICounter>(id)) c.Target.Increment();
            Operations.End();
        }

        private static long Total(ObjectId id, out int version)
        {
            Operations.Begin();
            long v;
            using (var c = Objects.Use<ICounter>(id)) { v = c.Target.Total(); version = c.Target.Version; }
            Operations.End();
            return v;
        }

        private static void RequestRefuses(TestContext t)
        {
            var cls = new UpdatableClass("counter", Counter(1));
            ObjectId a = cls.Create(), b = cls.Create();
            var other = new UpdatableClass("cell", new CellFactory(1));
            ObjectId cell = other.Create();
            int level = UpdateManager.Level;

            var q = UpdateRequest.Create("bad-id", 4, 2);
            t.True(!q.AddObject(new ObjectId(Objects.MaxObjects - 1), Counter(2)), "an unknown id is refused");
            t.True(q.Error != null && q.ErrorObject == Objects.MaxObjects - 1, "with a reason naming the id");
            t.True(!q.AddObject(a, Counter(2)), "a refused request stays refused");
            UpdateReport r = UpdateManager.Apply(q);
            t.True(r.Outcome == SwapOutcome.Invalid && r.Step == UpdateStep.Validate, "applying it changes nothing: Invalid at Validate");
            t.True(r.Reason == q.Error, "the report carries the request's reason");
            q.Free();

            q = UpdateRequest.Create("dup", 4, 2);
            t.True(q.AddObject(a, Counter(2)), "a valid entry is taken");
            t.True(!q.AddObject(a, Counter(3)), "the same id twice is refused");
            t.Equal(a.Value, q.ErrorObject, "naming it");
            q.Free();

            q = UpdateRequest.Create("not-newer", 4, 2);
            t.True(!q.AddObject(b, Counter(1)), "a version not newer than the one serving is refused");
            t.True(q.ErrorClass == "counter", "naming the class");
            q.Free();

            q = UpdateRequest.Create("object-and-class", 4, 2);
            t.True(q.AddObject(a, Counter(2)), "object taken");
            t.True(!q.AddClass(cls, Counter(2), false), "its class in the same request is refused");
            q.Free();

            q = UpdateRequest.Create("class-twice", 4, 2);
            t.True(q.AddClass(other, new CellFactory(2), false), "class taken");
            t.True(!q.AddClass(other, new CellFactory(3), true), "the same class twice is refused");
            q.Free();

            q = UpdateRequest.Create("class-not-newer", 4, 2);
            t.True(!q.AddClass(other, new CellFactory(1), false), "a class version not newer is refused");
            q.Free();

            q = UpdateRequest.Create("full", 1, 1);
            t.True(q.AddObject(a, Counter(2)), "first object");
            t.True(!q.AddObject(b, Counter(2)), "a full request refuses more");
            q.Free();

            // Valid when built, stale when applied: another update ran in between.
            q = UpdateRequest.Create("stale", 2, 0);
            t.True(q.AddObject(a, Counter(2)), "valid when built");
            UpdateReport first = UpdateManager.SwapObjects("first", new int[] { a.Value }, new UpdatableFactory[] { Counter(3) });
            t.True(first.Committed, "another update moved the object to version 3");
            r = UpdateManager.Apply(q);
            t.True(r.Outcome == SwapOutcome.Invalid && r.Step == UpdateStep.Validate && r.ObjectId == a.Value, "re-checked at apply: refused, naming the object");
            q.Free();
            t.Equal(level + 1, UpdateManager.Level, "only the valid update raised the level");
            t.Equal(3, Objects.Root(a).Version, "and nothing else changed the object");
            t.Equal(1, Objects.Root(cell).Version, "nor the other class");
            UpdateManager.RollbackLast();
        }

        private static void ReportFields(TestContext t)
        {
            var cls = new UpdatableClass("counter", Counter(1));
            ObjectId a = cls.Create();
            Add(a, 5);
            int level = UpdateManager.Level;
            UpdateReport r = UpdateManager.SwapObjects("timed", new int[] { a.Value }, new UpdatableFactory[] { Counter(2) });
            t.True(r.Committed && r.Step == UpdateStep.None && r.Reason == null, "committed, no step, no reason");
            t.Equal(level + 1, r.Level, "the report gives the new level");
            t.Equal(1, r.Objects, "one object swapped");
            t.True(r.QuiescenceNs > 0 && r.TotalNs >= r.QuiescenceNs, "quiescence time measured, within the total");
            t.True(r.ForwardNs > 0 && r.TotalNs >= r.ForwardNs + r.BlockNs, "forward and block phases within the total");
            t.True(UpdateManager.LevelName(r.Level) == "timed", "the level keeps the update's name");
            var bad = Counter(3); bad.FailImport = true;
            UpdateReport f = UpdateManager.SwapObjects("fails", new int[] { a.Value }, new UpdatableFactory[] { bad });
            t.True(f.Outcome == SwapOutcome.TransferFailed && f.Step == UpdateStep.Transfer, "failed in the transfer step");
            t.Equal(a.Value, f.ObjectId, "naming the object");
            t.True(f.ClassName == "counter", "and its class");
            t.Equal(level + 1, f.Level, "level unchanged");
            UpdateReport nf = UpdateManager.SwapObjects("no-format", new int[] { a.Value }, new UpdatableFactory[] { new CounterFactory(3, 1 << 4, 1 << 4) });
            t.True(nf.Outcome == SwapOutcome.NoCommonFormat && nf.Step == UpdateStep.Negotiate, "no common format fails in the negotiate step");
            UpdateReport back = UpdateManager.RollbackLast();
            t.True(back.Committed && back.Level == level, "rolled back: the report gives the level below");
        }

        // A patch: an object, a class updated eagerly and a class updated
        // lazily, one request. Something fails late; everything must be as
        // before: versions, state, representatives, factories, Pending marks.
        private static void PatchFails(TestContext t, bool selfCheck)
        {
            var counters = new UpdatableClass("counter", Counter(1));
            ObjectId x = counters.Create();
            Add(x, 11);
            object xRep = Objects.Root(x).Representative(0);
            var k1 = new CellFactory(1); var eager = new UpdatableClass("cell-eager", k1);
            var l1 = new CellFactory(1); var lazy = new UpdatableClass("cell-lazy", l1);
            var ek = new int[8]; var el = new int[8];
            for (int i = 0; i < 8; i++) { k1.NextValue = 10 + i; ek[i] = eager.Create().Value; l1.NextValue = 50 + i; el[i] = lazy.Create().Value; }
            object ekRep = Objects.Root(new ObjectId(ek[3])).Representative(0);
            int level = UpdateManager.Level;
            int converted = LazyConversion.Converted;

            var bad = Counter(2);
            if (selfCheck) bad.FailSelfCheck = true; else bad.FailImport = true;
            s_eager = eager; s_madeDuring = default;
            UpdateHooks.Set(&CreateDuringUpdate);
            var q = UpdateRequest.Create("patch", 1, 2);
            t.True(q.AddClass(eager, new CellFactory(2), false), "eager class");
            t.True(q.AddClass(lazy, new CellFactory(2), true), "lazy class");
            t.True(q.AddObject(x, bad), "object");
            UpdateReport r = UpdateManager.Apply(q);
            UpdateHooks.Set(null);
            q.Free();
            t.True(!r.Committed, "the patch failed");
            // Every object released (a call into one still blocked would wait for ever).
            int blocked = Objects.Root(x).CurrentState != RootState.Normal ? 1 : 0;
            for (int i = 0; i < 8; i++)
            {
                if (Objects.Root(new ObjectId(ek[i])).CurrentState != RootState.Normal) blocked++;
                if (Objects.Root(new ObjectId(el[i])).CurrentState != RootState.Normal) blocked++;
            }
            if (!t.Equal(0, blocked, "every object of the patch is released")) return;
            t.True(s_madeDuring.IsValid, "an instance was made by the new factory during the update");
            Operations.Begin();
            using (var c = Objects.Use<ICell>(s_madeDuring)) t.Equal(1, c.Target.Version, "it was swapped back to version 1 with the undo");
            Operations.End();
            t.True(r.Step == (selfCheck ? UpdateStep.SelfCheck : UpdateStep.Transfer), "in the step that failed");
            t.Equal(x.Value, r.ObjectId, "naming the object that failed");
            t.Equal(level, UpdateManager.Level, "level unchanged");
            t.Equal(1, eager.Version, "the eager class's factory is back");
            t.Equal(1, lazy.Version, "the lazy class's factory is back");
            // The old representatives themselves are back (checked before any call: a freed one must not be called).
            if (!t.True(Objects.Root(x).Representative(0) == xRep, "the object serves through its own representative")) return;
            if (!t.True(Objects.Root(new ObjectId(ek[3])).Representative(0) == ekRep, "the eager class's instances keep theirs")) return;
            int v;
            t.Equal(11, Total(x, out v), "the object's state is intact");
            t.Equal(1, v, "and version 1 serves it");
            int pending = 0, wrong = 0;
            Operations.Begin();
            for (int i = 0; i < 8; i++)
            {
                if (Objects.Root(new ObjectId(el[i])).Pending != null) pending++;
                using (var c = Objects.Use<ICell>(new ObjectId(ek[i]))) if (c.Target.Version != 1 || c.Target.Value != 10 + i) wrong++;
                using (var c = Objects.Use<ICell>(new ObjectId(el[i]))) if (c.Target.Version != 1 || c.Target.Value != 50 + i) wrong++;
            }
            Operations.End();
            t.Equal(0, pending, "no lazy instance is left Pending");
            t.Equal(0, wrong, "every instance serves version 1 with its state");
            t.Equal(converted, LazyConversion.Converted, "nothing converted");
            ObjectId fresh = eager.Create();
            t.Equal(1, Objects.Root(fresh).Version, "new instances are version 1");
            Heap.Free(ek); Heap.Free(el);
        }

        private static UpdatableClass s_eager;
        private static ObjectId s_madeDuring;

        private static void CreateDuringUpdate(UpdatePoint point, int unused)
        {
            if (point == UpdatePoint.BeforeMarkPending && !s_madeDuring.IsValid) s_madeDuring = s_eager.Create();
        }

        private static void PatchTransferFails(TestContext t) => PatchFails(t, false);
        private static void PatchSelfCheckFails(TestContext t) => PatchFails(t, true);

        // Three levels on one class and one object; each rollback restores
        // the class's factory, every instance's version (those created since
        // included) and its state.
        private static void LevelByLevel(TestContext t)
        {
            var cls = new UpdatableClass("counter", Counter(1));
            ObjectId a = cls.Create();
            Add(a, 3);
            var others = new UpdatableClass("counter-x", Counter(1));
            ObjectId x = others.Create();
            Add(x, 7);
            int level = UpdateManager.Level;

            UpdateReport r1 = UpdateManager.UpdateClasses("l1", new UpdatableClass[] { cls }, new UpdatableFactory[] { Counter(2) });
            ObjectId b = cls.Create(); // made by version 2
            Add(b, 4);
            UpdateReport r2 = UpdateManager.SwapObjects("l2", new int[] { x.Value }, new UpdatableFactory[] { Counter(2) });
            UpdateReport r3 = UpdateManager.UpdateClasses("l3", new UpdatableClass[] { cls }, new UpdatableFactory[] { Counter(3) });
            ObjectId c = cls.Create(); // made by version 3
            Add(c, 5);
            t.True(r1.Committed && r2.Committed && r3.Committed, "three levels applied");
            t.Equal(level + 3, UpdateManager.Level, "level + 3");
            int v;
            Total(a, out v); t.Equal(3, v, "a at version 3");

            UpdateReport back = UpdateManager.RollbackTo(level + 1);
            t.True(back.Committed, "rolled back to level + 1");
            t.Equal(level + 1, UpdateManager.Level, "at level + 1");
            t.Equal(2, cls.Version, "the class's factory is version 2 again");
            t.Equal(3, Total(a, out v), "a keeps its state"); t.Equal(2, v, "at version 2");
            t.Equal(4, Total(b, out v), "b keeps its state"); t.Equal(2, v, "at version 2");
            t.Equal(5, Total(c, out v), "c, made at level 3, keeps its state"); t.Equal(2, v, "and is version 2 now");
            t.Equal(7, Total(x, out v), "x keeps its state"); t.Equal(1, v, "x is back at version 1 (level 2 undone)");
            ObjectId d = cls.Create();
            Total(d, out v); t.Equal(2, v, "new instances are version 2");

            UpdateReport last = UpdateManager.RollbackLast();
            t.True(last.Committed, "level 1 rolled back");
            t.Equal(level, UpdateManager.Level, "back at the starting level");
            t.Equal(1, cls.Version, "the class's factory is version 1 again");
            t.Equal(4, Total(b, out v), "b, made by version 2, keeps its state"); t.Equal(1, v, "and is version 1");
            t.Equal(5, Total(c, out v), "c keeps its state"); t.Equal(1, v, "version 1");
            ObjectId e = cls.Create();
            Total(e, out v); t.Equal(1, v, "new instances are version 1 after the rollback");
            t.True(UpdateManager.RollbackTo(level + 5).Outcome == SwapOutcome.Invalid, "rolling 'back' to a level above is refused");
        }
    }
}
