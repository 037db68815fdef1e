using System.Threading;
using Molt.Console;
using Molt.Memory;
using Molt.Threading;
using Molt.Time;

namespace Molt.Update
{
    /// <summary>
    /// The entry point for updates: one at a time (a second one is refused
    /// with the name of the one running), each applied completely or not at
    /// all, each recorded as a level so that levels can be rolled back one
    /// by one from the top (<see cref="RollbackLast"/>, <see cref="RollbackTo"/>).
    ///
    /// Applying a request (<see cref="Apply"/>), as ONE unit:
    /// 0. Validate: the request was built without error and its versions are
    ///    still newer than those serving (another update may have run).
    /// 1. Negotiate a state format for each lazily updated class (objects and
    ///    eager instances negotiate in <see cref="HotSwap"/>'s step 1).
    /// 2. Disarm the lazily armed classes the request touches (no conversion
    ///    may race the swap), switch every class's factory (new instances are
    ///    new-version from here), wait for a marker (Forward step): no
    ///    creation still uses an old factory, no conversion is running.
    /// 3. Mark the lazy classes' instances Pending and clear their entries.
    /// 4. Hot-swap the explicit objects and every instance of the eager
    ///    classes as one set (HotSwap steps 1-6); its Forward marker is also
    ///    the marker the lazy marking needs (else one is waited for here).
    /// 5. Commit: arm the lazy classes, push the level record.
    /// A failure in any step undoes everything done before it: Pending marks
    /// restored, factories switched back, classes re-armed as they were, and
    /// instances created meanwhile by a new factory swapped back to the old
    /// one. The old versions keep serving with their state.
    ///
    /// Rolling back the top level mirrors it: disarm, factories back, marker,
    /// clear Pending on instances not yet converted, hot-swap every object and
    /// instance that runs the level's new version back to the old one (state
    /// moves back), pop the record. A failure puts the level back as it was.
    ///
    /// Memory: reports are structs (the caller frees nothing). Requests are
    /// the caller's (<see cref="UpdateRequest.Free"/>); <see cref="Apply"/>
    /// copies what the level needs into a record it owns, freed when the
    /// level is rolled back. Scratch arrays of one update are freed before it
    /// returns; replaced representatives after a marker (HotSwap step 6).
    /// </summary>
    public static unsafe class UpdateManager
    {
        private static int s_busy;
        private static string s_running;
        private static LevelStack s_levels;
        private static int s_setSerial;

        /// <summary>The number of levels applied and not rolled back: the patch level.</summary>
        public static int Level => s_levels.Depth;
        public static string Running => s_running;
        /// <summary>The name of level <paramref name="level"/> (1 = the first applied), or null.</summary>
        public static string LevelName(int level) => s_levels.At(level)?.Name;

        private static bool Enter(string name, out UpdateReport refused)
        {
            refused = default;
            if (Interlocked.CompareExchange(ref s_busy, 1, 0) == 0) { s_running = name; return true; }
            refused = UpdateReport.Refused(SwapOutcome.Busy, UpdateStep.Validate, "another update is in progress");
            Log.Warn("update", $"refused '{name}': update '{s_running}' is in progress");
            return false;
        }

        private static void Leave() { s_running = null; Volatile.Write(ref s_busy, 0); }

        // ---- convenience: one-entry requests ----

        /// <summary>Swaps the objects <paramref name="ids"/> to the factories <paramref name="to"/> as one unit (one level).</summary>
        public static UpdateReport SwapObjects(string name, int[] ids, UpdatableFactory[] to)
        {
            var q = UpdateRequest.Create(name, ids.Length, 0);
            for (int i = 0; i < ids.Length && i < to.Length; i++) q.AddObject(new ObjectId(ids[i]), to[i]);
            if (ids.Length == 0 || ids.Length != to.Length) q.Error ??= "empty or mismatched update set";
            UpdateReport r = Apply(q);
            q.Free();
            return r;
        }

        /// <summary>
        /// Updates every instance of each class to the matching factory, as
        /// one unit (one level), in the order given (put a class before the
        /// classes that call it with its new interface).
        /// </summary>
        public static UpdateReport UpdateClasses(string name, UpdatableClass[] classes, UpdatableFactory[] to)
        {
            var q = UpdateRequest.Create(name, 0, classes.Length);
            for (int i = 0; i < classes.Length && i < to.Length; i++) q.AddClass(classes[i], to[i], false);
            if (classes.Length == 0 || classes.Length != to.Length) q.Error ??= "empty or mismatched update set";
            UpdateReport r = Apply(q);
            q.Free();
            return r;
        }

        /// <summary>Switches the class's factory and arms lazy conversion of its instances (one level; see <see cref="LazyConversion"/>).</summary>
        public static UpdateReport UpdateClassLazily(string name, UpdatableClass cls, UpdatableFactory to)
        {
            var q = UpdateRequest.Create(name, 0, 1);
            q.AddClass(cls, to, true);
            UpdateReport r = Apply(q);
            q.Free();
            return r;
        }

        /// <summary>Frees what lazy conversions retired and the outgrown instance lists, each after a quiescent point.</summary>
        public static void CollectRetired()
        {
            LazyConversion.FreeRetired();
            UpdatableClass.CollectRetiredLists(Quiescence.DefaultTimeoutNs);
        }

        // ---- apply ----

        /// <summary>Applies <paramref name="q"/> as one unit (see the class comment). The request stays the caller's.</summary>
        public static UpdateReport Apply(UpdateRequest q)
        {
            if (q == null) return UpdateReport.Refused(SwapOutcome.Invalid, UpdateStep.Validate, "no request");
            UpdateReport r;
            if (!Enter(q.Name, out r)) return r;
            r = default;
            ulong start = Clock.NanosecondsSinceBoot();
            ApplyLocked(q, ref r);
            r.TotalNs = Clock.NanosecondsSinceBoot() - start;
            r.Level = Level;
            if (r.Committed)
                Log.Info("update", $"'{q.Name}' committed at level {r.Level}: {r.Objects} objects swapped, {r.LazyInstances} lazy, {r.TotalNs / 1000} us ({r.QuiescenceNs / 1000} quiescence, {r.BlockNs / 1000} blocked, longest call wait {r.MaxBlockedNs / 1000} us)");
            else
                Log.Warn("update", $"'{q.Name}' failed in the {UpdateReport.StepName(r.Step)} step: {r.Reason} (object {r.ObjectId})");
            Leave();
            UpdatableClass.CollectRetiredLists(Quiescence.DefaultTimeoutNs);
            return r;
        }

        private static bool Refuse(ref UpdateReport r, SwapOutcome outcome, UpdateStep step, string reason, int objectId, string className)
        {
            r.Outcome = outcome; r.Step = step; r.Reason = reason; r.ObjectId = objectId; r.ClassName = className;
            return false;
        }

        private static bool ApplyLocked(UpdateRequest q, ref UpdateReport r)
        {
            // 0. Validate.
            if (q.Error != null) return Refuse(ref r, SwapOutcome.Invalid, UpdateStep.Validate, q.Error, q.ErrorObject, q.ErrorClass);
            int nObj = q.ObjectCount, nCls = q.ClassCount;
            if (nObj + nCls == 0) return Refuse(ref r, SwapOutcome.Invalid, UpdateStep.Validate, "the request changes nothing", 0, null);
            for (int i = 0; i < nObj; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(q.Ids[i]));
                if (q.ObjectTo[i].Version <= root.Version)
                    return Refuse(ref r, SwapOutcome.Invalid, UpdateStep.Validate, "the new version is no longer newer than the one serving the object", root.Id, root.Class?.Name);
            }
            for (int i = 0; i < nCls; i++)
                if (q.ClassTo[i].Version <= q.Classes[i].Version)
                    return Refuse(ref r, SwapOutcome.Invalid, UpdateStep.Validate, "the new version is no longer newer than the class's current one", 0, q.Classes[i].Name);
            // 1. Negotiate the lazy classes' format (the eager swap negotiates per object).
            for (int i = 0; i < nCls; i++)
                if (q.ClassLazy[i] && UpdatableFactory.Negotiate(q.Classes[i].Factory.ExportFormats, q.ClassTo[i].ImportFormats) < 0)
                    return Refuse(ref r, SwapOutcome.NoCommonFormat, UpdateStep.Negotiate, "no state format in common between the class's current version and the new one", 0, q.Classes[i].Name);

            var work = new Transition();
            work.Begin(nCls, nObj);
            // 2. Disarm, switch factories, marker.
            for (int i = 0; i < nCls; i++) work.Touch(q.Classes[i]);
            for (int i = 0; i < nObj; i++) work.Touch(Objects.Root(new ObjectId(q.Ids[i])).Class);
            for (int i = 0; i < nCls; i++) work.SwitchFactory(q.Classes[i], q.ClassTo[i]);
            // Only needed when a factory switched or a conversion may be running (objects alone: HotSwap's own marker suffices).
            if ((nCls > 0 || work.DisarmedCount > 0) && !HotSwap.Marker(ref r, HotSwap.ForwardTimeoutNs, out r.StuckCpu))
            {
                work.Undo(ref r);
                work.End();
                return Refuse(ref r, SwapOutcome.QuiescenceTimeout, UpdateStep.Forward, "no quiescent point after switching the factories: an operation kept running past the time-out", 0, nCls > 0 ? q.Classes[0].Name : null);
            }
            // 3. Mark the lazy classes' instances.
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.BeforeMarkPending, 0);
            for (int i = 0; i < nCls; i++)
                if (q.ClassLazy[i]) r.LazyInstances += work.MarkPending(q.Classes[i], q.ClassTo[i]);
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.AfterMarkPending, 0);
            // 4. The eager set: explicit objects, then the eager classes' instances not yet at the new version.
            int serial = ++s_setSerial;
            for (int i = 0; i < nObj; i++) work.AddToSet(Objects.Root(new ObjectId(q.Ids[i])), q.ObjectTo[i], serial);
            for (int i = 0; i < nCls; i++)
            {
                if (q.ClassLazy[i]) continue;
                int[] ids = q.Classes[i].SnapshotInstances();
                for (int j = 0; j < ids.Length; j++)
                {
                    ObjectRoot root = Objects.Root(new ObjectId(ids[j]));
                    if (root != null && root.Factory != q.ClassTo[i]) work.AddToSet(root, q.ClassTo[i], serial);
                }
                Heap.Free(ids);
            }
            r.Objects = work.SetCount;
            bool ok;
            if (work.SetCount > 0) ok = HotSwap.Run(work.Set, work.SetTo, work.SetCount, ref r);
            else if (r.LazyInstances > 0)
            {
                ok = HotSwap.Marker(ref r, HotSwap.ForwardTimeoutNs, out r.StuckCpu);
                if (!ok) Refuse(ref r, SwapOutcome.QuiescenceTimeout, UpdateStep.Forward, "no quiescent point after marking the instances for lazy conversion", 0, null);
            }
            else ok = true;
            if (!ok)
            {
                work.Undo(ref r);
                work.End();
                return false;
            }
            // 5. Commit.
            if (UpdateHooks.On) UpdateHooks.Hit(UpdatePoint.BeforeArm, 0);
            work.ClearPendingOfSet(); // swapped eagerly: an older lazy target no longer applies
            for (int i = 0; i < nCls; i++) if (q.ClassLazy[i]) LazyConversion.Arm(q.Classes[i]);
            work.Rearm();
            LevelRecord level = LevelRecord.Make(q.Name, nObj, nCls);
            for (int i = 0; i < nObj; i++) { level.Ids[i] = q.Ids[i]; level.IdFrom[i] = work.ObjectFrom(i); level.IdTo[i] = q.ObjectTo[i]; }
            level.IdCount = nObj;
            for (int i = 0; i < nCls; i++) { level.Classes[i] = q.Classes[i]; level.ClassFrom[i] = work.ClassFrom(i); level.ClassTo[i] = q.ClassTo[i]; level.Lazy[i] = q.ClassLazy[i]; }
            level.ClassCount = nCls;
            s_levels.Push(level);
            work.End();
            r.Outcome = SwapOutcome.Committed;
            r.Step = UpdateStep.None;
            return true;
        }

        // ---- rollback ----

        /// <summary>Undoes the top level: the state moves back into the previous versions. Refused (Invalid) at level 0.</summary>
        public static UpdateReport RollbackLast()
        {
            UpdateReport r;
            if (!Enter("rollback", out r)) return r;
            r = default;
            ulong start = Clock.NanosecondsSinceBoot();
            RollbackLocked(ref r);
            r.TotalNs = Clock.NanosecondsSinceBoot() - start;
            r.Level = Level;
            Leave();
            UpdatableClass.CollectRetiredLists(Quiescence.DefaultTimeoutNs);
            return r;
        }

        /// <summary>
        /// Rolls back level by level (the top first) until <paramref name="level"/>
        /// is the top. Stops at the first level that fails to roll back; the
        /// report then says which, and <see cref="Level"/> is where it stopped.
        /// Timings add up over the levels undone.
        /// </summary>
        public static UpdateReport RollbackTo(int level)
        {
            if (level < 0 || level > Level)
                return UpdateReport.Refused(SwapOutcome.Invalid, UpdateStep.Validate, "no such level to roll back to");
            UpdateReport total = default;
            total.Level = Level;
            while (Level > level)
            {
                UpdateReport one = RollbackLast();
                total.TotalNs += one.TotalNs; total.QuiescenceNs += one.QuiescenceNs;
                total.ForwardNs += one.ForwardNs; total.BlockNs += one.BlockNs;
                total.Objects += one.Objects; total.LazyInstances += one.LazyInstances;
                if (one.MaxBlockedNs > total.MaxBlockedNs) total.MaxBlockedNs = one.MaxBlockedNs;
                if (!one.Committed)
                {
                    one.TotalNs = total.TotalNs; one.QuiescenceNs = total.QuiescenceNs; one.ForwardNs = total.ForwardNs;
                    one.BlockNs = total.BlockNs; one.MaxBlockedNs = total.MaxBlockedNs; one.Objects = total.Objects; one.LazyInstances = total.LazyInstances;
                    return one;
                }
            }
            total.Outcome = SwapOutcome.Committed;
            total.Level = Level;
            return total;
        }

        private static bool RollbackLocked(ref UpdateReport r)
        {
            LevelRecord level = s_levels.Top;
            if (level == null) return Refuse(ref r, SwapOutcome.Invalid, UpdateStep.Validate, "there is no update to roll back", 0, null);
            int nObj = level.IdCount, nCls = level.ClassCount;
            var work = new Transition();
            work.Begin(nCls, nObj);
            // Disarm, factories back (new instances are old-version from here), marker.
            for (int i = 0; i < nCls; i++) work.Touch(level.Classes[i]);
            for (int i = 0; i < nObj; i++) work.Touch(Objects.Root(new ObjectId(level.Ids[i])).Class);
            for (int i = 0; i < nCls; i++) work.SwitchFactory(level.Classes[i], level.ClassFrom[i]);
            if ((nCls > 0 || work.DisarmedCount > 0) && !HotSwap.Marker(ref r, HotSwap.ForwardTimeoutNs, out r.StuckCpu))
            {
                work.UndoRollback(ref r);
                work.End();
                return Refuse(ref r, SwapOutcome.QuiescenceTimeout, UpdateStep.Forward, "no quiescent point after switching the factories back", 0, null);
            }
            // Instances not yet converted lazily simply stop waiting; the rest swap back.
            int serial = ++s_setSerial;
            for (int i = 0; i < nObj; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(level.Ids[i]));
                if (root.Factory == level.IdTo[i]) work.AddToSet(root, level.IdFrom[i], serial);
            }
            for (int i = 0; i < nCls; i++)
            {
                if (level.Lazy[i]) r.LazyInstances += work.ClearPending(level.Classes[i], level.ClassTo[i]);
                int[] ids = level.Classes[i].SnapshotInstances();
                for (int j = 0; j < ids.Length; j++)
                {
                    ObjectRoot root = Objects.Root(new ObjectId(ids[j]));
                    if (root != null && root.Factory == level.ClassTo[i]) work.AddToSet(root, level.ClassFrom[i], serial);
                }
                Heap.Free(ids);
            }
            r.Objects = work.SetCount;
            if (work.SetCount > 0 && !HotSwap.Run(work.Set, work.SetTo, work.SetCount, ref r))
            {
                work.UndoRollback(ref r);
                work.End();
                return false;
            }
            work.Rearm();
            s_levels.Pop();
            Log.Info("update", $"rolled back '{level.Name}' to level {Level}: {r.Objects} objects swapped back, {r.LazyInstances} lazy conversions cancelled");
            level.Free();
            work.End();
            r.Outcome = SwapOutcome.Committed;
            r.Step = UpdateStep.None;
            return true;
        }

        /// <summary>
        /// Hot-swaps the instances of <paramref name="cls"/> that run
        /// <paramref name="at"/> to <paramref name="back"/> (instances created
        /// by a factory that is being switched back). Failures are logged: the
        /// instances keep serving the version they were made with.
        /// </summary>
        internal static void SwapInstancesBack(UpdatableClass cls, UpdatableFactory at, UpdatableFactory back, ref UpdateReport r)
        {
            int[] ids = cls.SnapshotInstances();
            int n = 0;
            for (int j = 0; j < ids.Length; j++) { ObjectRoot root = Objects.Root(new ObjectId(ids[j])); if (root != null && root.Factory == at) n++; }
            if (n > 0)
            {
                var roots = new ObjectRoot[n];
                var to = new UpdatableFactory[n];
                int k = 0;
                for (int j = 0; j < ids.Length && k < n; j++)
                {
                    ObjectRoot root = Objects.Root(new ObjectId(ids[j]));
                    if (root != null && root.Factory == at) { roots[k] = root; to[k] = back; k++; }
                }
                var scratch = new UpdateReport();
                scratch.Objects = k;
                if (!HotSwap.Run(roots, to, k, ref scratch))
                    Log.Warn("update", $"{k} instances of {cls.Name} made during the failed update could not be swapped back: {scratch.Reason}; they keep version {at.Version}");
                r.QuiescenceNs += scratch.QuiescenceNs;
                Heap.Free(roots); Heap.Free(to);
            }
            Heap.Free(ids);
        }

        internal static int NextSetSerial() => ++s_setSerial;
    }
}
