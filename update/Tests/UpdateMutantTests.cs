using System.Threading;
using Molt.Hal;
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
    /// Tests written to kill mutants that today's tests let live
    /// (update/Mutants/mutants.txt names the test that kills each).
    /// The two race tests stop the miss path between reading the state and
    /// installing the LTT entry (<see cref="UpdateHooks"/>) while the updater
    /// starts Forward or marks the object Pending; they need two CPUs.
    /// </summary>
    internal static unsafe class UpdateMutantTests
    {
        public static void Register()
        {
            TestRunner.Add("update.self_check_failure_restores_representatives", &SelfCheckRestoresRepresentatives);
            TestRunner.Add("update.abort_of_two_objects_releases_both", &AbortReleasesBoth);
            TestRunner.Add("update.lazy.pending_root_is_not_cached_before_arming", &PendingNotCached);
            TestRunner.Add("update.lazy.retired_freed_only_after_parked_call_leaves", &RetiredWaitsForParked);
            TestRunner.Add("update.lazy.concurrent_first_accesses_convert_once", &ConcurrentConversion);
            TestRunner.Add("update.race.install_rechecks_state_against_forward", &InstallRaceForward);
            TestRunner.Add("update.race.install_rechecks_pending", &InstallRacePending);
            TestRunner.Add("update.race.counted_call_that_meets_block_backs_off", &CountedCallMeetsBlock);
            TestRunner.Add("update.race.two_cpus_claim_one_conversion", &TwoCpusClaimOneConversion);
        }

        private static int Cpus => Processors.Online;

        private static void SelfCheckRestoresRepresentatives(TestContext t)
        {
            var cls = new UpdatableClass("counter", new CounterFactory(1, 1 << 1, 1 << 1));
            ObjectId id = cls.Create();
            ObjectRoot root = Objects.Root(id);
            int reps = root.RepresentativeCount;
            var before = new object[reps];
            for (int i = 0; i < reps; i++) before[i] = root.Representative(i);
            Operations.Begin();
            for (int i = 0; i < 17; i++) using (var c = Objects.Use<ICounter>(id)) c.Target.Increment();
            Operations.End();
            var bad = new CounterFactory(2, 1 << 1, 1 << 1) { FailSelfCheck = true };
            UpdateReport r = UpdateManager.SwapObjects("bad-check", new int[] { id.Value }, new UpdatableFactory[] { bad });
            t.True(r.Outcome == SwapOutcome.SelfCheckFailed && r.Step == UpdateStep.SelfCheck, "reported as a failed self-check");
            int same = 0;
            for (int i = 0; i < reps && i < root.RepresentativeCount; i++) if (root.Representative(i) == before[i]) same++;
            t.Equal(reps, same, "every old representative is back in the root (not only the old factory)");
            Operations.Begin();
            using (var c = Objects.Use<ICounter>(id))
            {
                t.Equal(1, c.Target.Version, "calls reach a version 1 representative");
                t.Equal(17, c.Target.Total(), "with its state");
            }
            Operations.End();
            Heap.Free(before);
        }

        private static void AbortReleasesBoth(TestContext t)
        {
            var cls = new UpdatableClass("counter", new CounterFactory(1, 1 << 1, 1 << 1));
            ObjectId a = cls.Create(), b = cls.Create();
            var bad = new CounterFactory(2, 1 << 1, 1 << 1) { FailImport = true };
            UpdateReport r = UpdateManager.SwapObjects("abort-two", new int[] { a.Value, b.Value },
                new UpdatableFactory[] { new CounterFactory(2, 1 << 1, 1 << 1), bad });
            t.True(r.Outcome == SwapOutcome.TransferFailed, "the second object's transfer fails");
            t.Equal(b.Value, r.ObjectId, "naming the second object");
            t.True(Objects.Root(a).CurrentState == RootState.Normal, "the first object is released");
            bool bFree = Objects.Root(b).CurrentState == RootState.Normal;
            t.True(bFree, "the second object is released too (else its callers wait for ever)");
            if (!bFree) return; // a call would block for ever
            Operations.Begin();
            using (var c = Objects.Use<ICounter>(b)) c.Target.Increment();
            using (var c = Objects.Use<ICounter>(b)) t.Equal(1, c.Target.Total(), "and serves calls");
            Operations.End();
        }

        // ---- a Pending root must not be cached before its class is armed ----
        private static ObjectId s_pendingCell;
        private static int s_seenVersion;
        private static nint s_entryAfter;

        private static void AccessDuringMarking(UpdatePoint point, int unused)
        {
            if (point != UpdatePoint.AfterMarkPending) return;
            Operations.Begin();
            using (var c = Objects.Use<ICell>(s_pendingCell)) s_seenVersion = c.Target.Version;
            s_entryAfter = PerCpu.Current()->LocalTranslations[s_pendingCell.Value];
            Operations.End();
        }

        private static void PendingNotCached(TestContext t)
        {
            var v1 = new CellFactory(1);
            var cells = new UpdatableClass("cell", v1);
            v1.NextValue = 77;
            s_pendingCell = cells.Create();
            s_seenVersion = 0; s_entryAfter = -1;
            UpdateHooks.Set(&AccessDuringMarking);
            UpdateReport r = UpdateManager.UpdateClassLazily("cells-v2", cells, new CellFactory(2));
            UpdateHooks.Set(null);
            t.True(r.Committed, "lazy update armed");
            t.Equal(1, s_seenVersion, "between marking and arming, calls get the old version");
            t.True(s_entryAfter == 0, "uncached: this CPU's LTT has no entry for the Pending object");
            Operations.Begin();
            using (var c = Objects.Use<ICell>(s_pendingCell))
            {
                t.Equal(2, c.Target.Version, "the first access after arming converts it");
                t.Equal(77, c.Target.Value, "with its state");
            }
            Operations.End();
            UpdateManager.CollectRetired();
        }

        // ---- retired representatives outlive a call parked inside one ----
        // A call that got the old representative between marking and arming
        // (uncached) is parked inside it when another access converts the
        // object. The retired representative must not be freed until it leaves.
        private static ObjectId s_parkedObject;
        private static Event s_parkedInside, s_parkedGo;
        private static Thread s_parker;

        private static void ParkInOld(nint unused)
        {
            using (var p = Objects.Use<IParking>(s_parkedObject)) p.Target.Enter(default, s_parkedInside, s_parkedGo);
        }

        private static void ParkBeforeArming(UpdatePoint point, int unused)
        {
            if (point != UpdatePoint.BeforeArm) return;
            s_parker = Scheduler.Spawn(&ParkInOld, 0, "parked-in-old", Cpus - 1);
            s_parkedInside.Wait();
        }

        private static void Collect(nint unused) => UpdateManager.CollectRetired();

        private static void RetiredWaitsForParked(TestContext t)
        {
            var cls = new UpdatableClass("parking", new ParkingFactory(1));
            s_parkedObject = cls.Create();
            s_parkedInside = new Event(); s_parkedGo = new Event();
            UpdateManager.CollectRetired(); // start with nothing retired
            UpdateHooks.Set(&ParkBeforeArming);
            UpdateReport r = UpdateManager.UpdateClassLazily("parking-v2", cls, new ParkingFactory(2));
            UpdateHooks.Set(null);
            t.True(r.Committed, "lazy update armed");
            int converted = LazyConversion.Converted;
            Operations.Begin();
            using (var p = Objects.Use<IParking>(s_parkedObject)) t.Equal(1, ((ParkingRep)p.Target).Calls, "another access converts it (the parked call's count moved over)");
            Operations.End();
            t.Equal(converted + 1, LazyConversion.Converted, "converted while the old representative is still in use");
            t.True(LazyConversion.RetiredCount > 0, "the old representative is retired");
            Thread collector = Scheduler.Spawn(&Collect, 0, "collect", 0);
            Scheduler.Sleep(30_000_000);
            t.True(!collector.HasFinished, "collection waits for a quiescent point while a call is parked inside a retired representative");
            s_parkedGo.Set();
            s_parker.Join(); collector.Join();
            t.Equal(0, LazyConversion.RetiredCount, "freed once the call left");
            Heap.Free(s_parker); Heap.Free(collector); Heap.Free(s_parkedInside); Heap.Free(s_parkedGo);
        }

        // ---- every CPU's first access at once: each instance converts exactly once ----
        private const int Cells = 2000;
        private static int[] s_cells;
        private static int s_cellWrong;
        private static Event s_start;

        private static void TouchAll(nint offset)
        {
            int depth = Operations.Pause();
            s_start.Wait();
            Operations.Resume(depth);
            int wrong = 0;
            for (int k = 0; k < Cells; k++)
            {
                int i = (k + (int)offset) % Cells;
                using (var c = Objects.Use<ICell>(new ObjectId(s_cells[i])))
                    if (c.Target.Version != 2 || c.Target.Value != i) wrong++;
            }
            Interlocked.Add(ref s_cellWrong, wrong);
        }

        private static void ConcurrentConversion(TestContext t)
        {
            var v1 = new CellFactory(1);
            var cells = new UpdatableClass("cell", v1);
            s_cells = new int[Cells];
            for (int i = 0; i < Cells; i++) { v1.NextValue = i; s_cells[i] = cells.Create().Value; }
            UpdateReport r = UpdateManager.UpdateClassLazily("cells-v2", cells, new CellFactory(2));
            t.True(r.Committed, "lazy update armed");
            t.Equal(Cells, r.LazyInstances, "every instance marked");
            int before = LazyConversion.Converted;
            s_cellWrong = 0;
            s_start = new Event();
            var threads = new Thread[Cpus];
            for (int c = 0; c < Cpus; c++) threads[c] = Scheduler.Spawn(&TouchAll, c * 7, "touch", c);
            s_start.Set();
            for (int c = 0; c < Cpus; c++) { threads[c].Join(); Heap.Free(threads[c]); }
            t.Equal(0, s_cellWrong, "every access saw version 2 with the instance's state");
            t.Equal(Cells, LazyConversion.Converted - before, "each instance converted exactly once");
            UpdateManager.CollectRetired();
            Heap.Free(threads); Heap.Free(s_cells); Heap.Free(s_start);
        }

        // ---- the LTT install race ----
        // The victim (CPU 1) misses, reads state Normal, and stops before
        // installing its entry. The updater then starts Forward (or marks
        // the object Pending) and clears the entries; only then does the
        // victim install. Its re-check must see the new state and clear the
        // entry: the victim's LTT must be empty right after its call.
        private static ObjectId s_raceObject;
        private static int s_victimCpu, s_reached, s_go, s_raceMode;
        private static nint s_victimEntry;
        private static Thread s_victim;

        private static void Victim(nint unused)
        {
            using (var c = Objects.Use<ICell>(s_raceObject)) { }
            s_victimEntry = PerCpu.Current()->LocalTranslations[s_raceObject.Value];
        }

        private static void RaceHook(UpdatePoint point, int id)
        {
            if (point == (s_raceMode == 2 ? UpdatePoint.MissBeforeCount : UpdatePoint.MissBeforeInstall))
            {
                // Interrupts are off here: spin, never sleep.
                if (id != s_raceObject.Value || PerCpu.Current()->Index != s_victimCpu || Volatile.Read(in s_reached) != 0) return;
                Volatile.Write(ref s_reached, 1);
                // Mode 2 waits across the Forward marker, which needs this CPU's
                // tick: interrupts on while it spins (the victim is pinned to this
                // CPU and outside any operation, so nothing else is disturbed).
                if (s_raceMode == 2) Cpu.EnableInterrupts();
                while (Volatile.Read(in s_go) == 0) Cpu.Relax();
                if (s_raceMode == 2) Cpu.DisableInterrupts();
                return;
            }
            if (s_raceMode == 1 && point == UpdatePoint.BeforeMarkPending)
            {
                // After the factory marker: the victim's miss may start now without holding up a marker.
                s_victim = Scheduler.Spawn(&Victim, 0, "victim", s_victimCpu);
                while (Volatile.Read(in s_reached) == 0) Scheduler.Sleep(100_000);
            }
            if (s_raceMode == 2 && point == UpdatePoint.AfterForwardFlush)
            {
                // The victim reads Forward and stops before being counted; it is outside any operation, so the marker passes.
                s_victim = Scheduler.Spawn(&CountVictim, 0, "victim", s_victimCpu);
                while (Volatile.Read(in s_reached) == 0) Scheduler.Sleep(100_000);
                return;
            }
            if (s_raceMode == 2 && point == UpdatePoint.AfterDrain)
            {
                // Drained with the victim not yet counted: now it counts itself, meets Block and must back off and wait.
                Volatile.Write(ref s_go, 1);
                for (int i = 0; i < 20 && Volatile.Read(in s_victimDone) == 0; i++) Scheduler.Sleep(1_000_000);
                return;
            }
            if ((s_raceMode == 0 && point == UpdatePoint.AfterForwardFlush) || (s_raceMode == 1 && point == UpdatePoint.AfterMarkPending))
                Volatile.Write(ref s_go, 1);
        }

        private static int s_victimDone, s_gotVersion;

        private static void CountVictim(nint unused)
        {
            int depth = Operations.Pause();
            using (var c = Objects.Use<ICell>(s_raceObject)) s_gotVersion = c.Target.Version;
            Operations.Resume(depth);
            Volatile.Write(ref s_victimDone, 1);
        }

        // The Dekker pair of the mediator: the victim read Forward, the
        // updater set Block and saw no call in flight, and only then does the
        // victim count itself. Its re-check must see Block and send it to
        // wait; admitted, it would run in the old version during the transfer.
        private static void CountedCallMeetsBlock(TestContext t)
        {
            if (!PrepareRace(t, 2)) return;
            s_victimDone = 0; s_gotVersion = 0;
            UpdateReport r = UpdateManager.SwapObjects("race-count", new int[] { s_raceObject.Value }, new UpdatableFactory[] { new CellFactory(2) });
            if (s_victim != null) s_victim.Join();
            UpdateHooks.Set(null);
            t.True(r.Committed, "the swap committed");
            t.Equal(2, s_gotVersion, "the late call waited for the commit and reached version 2, not the old version during the transfer");
            // It waited at least the hook's 20 ms, in the Block phase's queue, which the report measures.
            t.True(r.MaxBlockedNs >= 10_000_000, "the report's longest blocked call covers the late call's wait");
            if (s_victim != null) Heap.Free(s_victim);
        }

        // Two CPUs see the same Pending root Normal at once; only the one
        // whose claim succeeds may convert it. The victim stops after its
        // check; the test thread claims and, while it holds the claim,
        // lets the victim try.
        private static ObjectId s_claimCell;
        private static int s_claimVictimCpu, s_claimReached;
        private static Event s_claimGo;

        private static void ClaimHook(UpdatePoint point, int id)
        {
            if (id != s_claimCell.Value) return;
            if (point == UpdatePoint.ConvertBeforeClaim && PerCpu.Current()->Index == s_claimVictimCpu && Volatile.Read(in s_claimReached) == 0)
            {
                Volatile.Write(ref s_claimReached, 1);
                s_claimGo.Wait();
            }
            else if (point == UpdatePoint.ConvertClaimed && PerCpu.Current()->Index != s_claimVictimCpu)
            {
                s_claimGo.Set();
                Scheduler.Sleep(20_000_000); // the victim tries its claim meanwhile
            }
        }

        private static void ClaimVictim(nint unused)
        {
            using (var c = Objects.Use<ICell>(s_claimCell)) { }
        }

        private static void TwoCpusClaimOneConversion(TestContext t)
        {
            if (Cpus < 2) { t.True(true, "needs two CPUs"); return; }
            var v1 = new CellFactory(1);
            var cells = new UpdatableClass("cell", v1);
            v1.NextValue = 31;
            s_claimCell = cells.Create();
            UpdateReport r = UpdateManager.UpdateClassLazily("claim-v2", cells, new CellFactory(2));
            t.True(r.Committed, "lazy update armed");
            int before = LazyConversion.Converted;
            s_claimReached = 0; s_claimGo = new Event();
            Operations.Begin();
            s_claimVictimCpu = (PerCpu.Current()->Index + 1) % Cpus;
            UpdateHooks.Set(&ClaimHook);
            Thread victim = Scheduler.Spawn(&ClaimVictim, 0, "claim-victim", s_claimVictimCpu);
            while (Volatile.Read(in s_claimReached) == 0) Cpu.Relax();
            int version, value;
            using (var c = Objects.Use<ICell>(s_claimCell)) { version = c.Target.Version; value = c.Target.Value; }
            Operations.End();
            victim.Join();
            UpdateHooks.Set(null);
            t.Equal(1, LazyConversion.Converted - before, "converted once, by the CPU whose claim succeeded");
            t.Equal(2, version, "version 2");
            t.Equal(31, value, "with its state");
            Heap.Free(victim); Heap.Free(s_claimGo);
            UpdateManager.CollectRetired();
        }

        private static bool PrepareRace(TestContext t, int mode)
        {
            if (Cpus < 2) { t.True(true, "needs two CPUs"); return false; }
            var v1 = new CellFactory(1);
            s_raceObject = new UpdatableClass("cell", v1).Create();
            s_victimCpu = 1; s_reached = 0; s_go = 0; s_raceMode = mode; s_victimEntry = -1; s_victim = null;
            Objects.FlushEverywhere(s_raceObject.Value);
            UpdateHooks.Set(&RaceHook);
            return true;
        }

        private static void InstallRaceForward(TestContext t)
        {
            if (!PrepareRace(t, 0)) return;
            s_victim = Scheduler.Spawn(&Victim, 0, "victim", s_victimCpu);
            while (Volatile.Read(in s_reached) == 0) Scheduler.Sleep(100_000);
            UpdateReport r = UpdateManager.SwapObjects("race", new int[] { s_raceObject.Value }, new UpdatableFactory[] { new CellFactory(2) });
            s_victim.Join();
            UpdateHooks.Set(null);
            t.True(r.Committed, "the swap committed");
            t.True(s_victimEntry == 0, "the entry installed after Forward began was cleared by the install's re-check");
            Heap.Free(s_victim);
        }

        private static void InstallRacePending(TestContext t)
        {
            if (!PrepareRace(t, 1)) return;
            UpdatableClass cls = Objects.Root(s_raceObject).Class;
            UpdateReport r = UpdateManager.UpdateClassLazily("race-lazy", cls, new CellFactory(2));
            if (s_victim != null) s_victim.Join();
            UpdateHooks.Set(null);
            t.True(r.Committed, "the lazy update armed");
            t.True(s_victimEntry == 0, "the entry installed after the object became Pending was cleared by the install's re-check");
            Operations.Begin();
            using (var c = Objects.Use<ICell>(s_raceObject)) t.Equal(2, c.Target.Version, "the object converts on access");
            Operations.End();
            if (s_victim != null) Heap.Free(s_victim);
            UpdateManager.CollectRetired();
        }
    }
}
