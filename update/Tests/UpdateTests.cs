using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Testing;
using Molt.Threading;
using Molt.Time;
using Molt.Update;
using Event = Molt.Threading.Event;
using Thread = Molt.Threading.Thread;

namespace Molt.Update.Tests
{
    /// <summary>The dynamic-update core: object tables, quiescence, hot swap, lazy update, interface change, failure paths, rollback.</summary>
    internal static unsafe class UpdateTests
    {
        public static void Register()
        {
            TestRunner.Add("update.quiescence_waits_for_a_parked_operation", &QuiescenceWaitsForParked);
            TestRunner.Add("update.use_caches_in_the_local_table", &UseCaches);
            TestRunner.Add("update.ltt_window_maps_each_cpus_own_table", &WindowPerCpu);
            TestRunner.Add("update.swap_under_load_loses_nothing", &SwapUnderLoad);
            TestRunner.Add("update.lazy_update_of_10000_instances", &LazyUpdate);
            TestRunner.Add("update.interface_change_with_adapter", &InterfaceChange);
            TestRunner.Add("update.failed_transfer_keeps_old_state", &FailedTransfer);
            TestRunner.Add("update.failed_self_check_rolls_back", &FailedSelfCheck);
            TestRunner.Add("update.no_common_format_is_refused", &NoCommonFormat);
            TestRunner.Add("update.wait_cycle_aborts_after_time_out", &CallCycle);
            TestRunner.Add("update.call_chain_within_the_set_passes_block", &CallChainWithinSet);
            TestRunner.Add("update.second_update_is_refused_while_one_runs", &SecondUpdateRefused);
            TestRunner.Add("update.rollback_restores_previous_version", &Rollback);
            UpdateFixTests.Register();
            UpdateApiTests.Register();
            UpdateMutantTests.Register();
        }

        private static int Cpus => Processors.Online;

        // ---- quiescence ----
        private static ObjectId s_parkObject;
        private static Event s_inside, s_proceed;

        private static void ParkInside(nint unused)
        {
            using (var p = Objects.Use<IParking>(s_parkObject)) p.Target.Enter(default, s_inside, s_proceed);
        }

        private static void QuiescenceWaitsForParked(TestContext t)
        {
            var cls = new UpdatableClass("parking", new ParkingFactory(1));
            s_parkObject = cls.Create();
            s_inside = new Event(); s_proceed = new Event();
            Thread parked = Scheduler.Spawn(&ParkInside, 0, "parked", Cpus - 1);
            s_inside.Wait();
            int stuck;
            t.True(!Quiescence.WaitForMarker(30_000_000, out stuck), "no marker while an operation that began before it is parked");
            t.Equal(Cpus - 1, stuck, "the CPU holding it up is the parked thread's");
            s_proceed.Set();
            parked.Join();
            t.True(Quiescence.WaitForMarker(), "the marker elapses once the operation ends");
            Heap.Free(parked); Heap.Free(s_inside); Heap.Free(s_proceed);
        }

        private static ulong[] s_windowPhys;

        private static void RecordWindow(nint cpu)
        {
            ulong phys;
            PageTables.Query(KernelAddressSpace.ThisCpuRoot, KernelAddressSpace.PerCpuWindow, out phys);
            s_windowPhys[cpu] = phys;
        }

        private static void WindowPerCpu(TestContext t)
        {
            if (!Objects.UsesPerCpuWindow) { t.True(true, "design (b) selected with ltt=block"); return; }
            s_windowPhys = new ulong[Cpus];
            var threads = new Thread[Cpus];
            for (int c = 0; c < Cpus; c++) threads[c] = Scheduler.Spawn(&RecordWindow, c, "window", c);
            for (int c = 0; c < Cpus; c++) { threads[c].Join(); Heap.Free(threads[c]); }
            for (int c = 0; c < Cpus; c++)
            {
                t.Equal(FrameAllocator.ToPhysical(Processors.Get(c)->LocalTranslations), s_windowPhys[c], "the window shows this CPU's own LTT");
                for (int d = 0; d < c; d++) t.True(s_windowPhys[c] != s_windowPhys[d], "no two CPUs share a window");
            }
            Heap.Free(threads); Heap.Free(s_windowPhys);
        }

        private static void UseCaches(TestContext t)
        {
            var cls = new UpdatableClass("counter", new CounterFactory(1, 1 << 1, 1 << 1));
            ObjectId id = cls.Create();
            t.True(id.IsValid, "created");
            Operations.Begin();
            using (var c = Objects.Use<ICounter>(id)) c.Target.Increment();
            ulong misses = Objects.Misses;
            for (int i = 0; i < 100; i++) using (var c = Objects.Use<ICounter>(id)) c.Target.Increment();
            long total;
            using (var c = Objects.Use<ICounter>(id)) total = c.Target.Total();
            Operations.End();
            t.Equal(misses, Objects.Misses, "repeated calls hit this CPU's table");
            t.Equal(101, total, "calls reached the object");
            t.Equal(1, Objects.Root(id).Version, "version");
        }

        // ---- swap under load ----
        private const int Swaps = 100;
        private static ObjectId s_counter, s_map;
        private static volatile int s_stop;
        private static long[] s_calls;

        private static void Hammer(nint index)
        {
            long n = 0;
            while (s_stop == 0)
            {
                using (var c = Objects.Use<ICounter>(s_counter)) c.Target.Increment();
                using (var m = Objects.Use<IKeyValueV1>(s_map)) m.Target.Put((int)index, (int)n);
                n++;
                Operations.Checkpoint();
            }
            s_calls[index] = n;
        }

        private static void SwapUnderLoad(TestContext t)
        {
            var counter1 = new CounterFactory(1, 1 << 1, 1 << 1);
            var counter2 = new CounterFactory(2, 1 << 1, 1 << 1);
            var map1 = new KeyValueFactoryV1();
            var map1b = new KeyValueFactoryV1();
            map1b.Version = 2;
            var counters = new UpdatableClass("counter", counter1);
            var maps = new UpdatableClass("kv", map1);
            s_counter = counters.Create();
            s_map = maps.Create();
            s_stop = 0;
            int workers = Cpus;
            s_calls = new long[workers];
            var threads = new Thread[workers];
            for (int i = 0; i < workers; i++) threads[i] = Scheduler.Spawn(&Hammer, i, "hammer", i);
            int[] ids = { s_counter.Value, s_map.Value };
            var to = new UpdatableFactory[2];
            int committed = 0;
            HotSwap.ResetBlockedStatistics();
            for (int s = 0; s < Swaps; s++)
            {
                // Even: a level up (counter and map to version 2); odd: that level rolled back.
                to[0] = counter2;
                to[1] = map1b;
                UpdateReport r = (s & 1) == 0 ? UpdateManager.SwapObjects("load", ids, to) : UpdateManager.RollbackLast();
                if (r.Committed) committed++;
                else t.Fail(r.Reason);
            }
            s_stop = 1;
            long expected = 0;
            for (int i = 0; i < workers; i++) { threads[i].Join(); Heap.Free(threads[i]); expected += s_calls[i]; }
            Operations.Begin();
            long total;
            using (var c = Objects.Use<ICounter>(s_counter)) total = c.Target.Total();
            for (int i = 0; i < workers; i++)
                using (var m = Objects.Use<IKeyValueV1>(s_map))
                    t.Equal(s_calls[i] - 1, m.Target.Get(i), "each worker's last write survived every swap");
            Operations.End();
            t.Equal(Swaps, committed, "every swap committed");
            t.Equal(expected, total, "no increment lost or doubled across 100 swaps");
            t.True(expected > Swaps, "the workers ran during the swaps");
            Console.Log.Info("update", $"swap under load: {Swaps} swaps, {expected} calls, {HotSwap.BlockedCalls} blocked, longest block {HotSwap.MaxBlockedNs / 1000} us");
            Heap.Free(threads); Heap.Free(s_calls); Heap.Free(ids); Heap.Free(to);
        }

        // ---- lazy update ----
        private static void LazyUpdate(TestContext t)
        {
            const int N = 10_000;
            var v1 = new CellFactory(1);
            var v2 = new CellFactory(2);
            var cells = new UpdatableClass("cell", v1);
            var ids = new int[N];
            for (int i = 0; i < N; i++)
            {
                v1.NextValue = i * 3 + 1;
                ObjectId id = cells.Create();
                if (!t.True(id.IsValid, "instance created")) return;
                ids[i] = id.Value;
            }
            LazyConversion.ResetCounts();
            UpdateReport r = UpdateManager.UpdateClassLazily("cells-v2", cells, v2);
            t.True(r.Committed, "lazy update armed");
            t.Equal(0, LazyConversion.Converted, "nothing converted before access");
            Operations.Begin();
            int wrong = 0, old = 0;
            for (int i = 0; i < N; i++)
                using (var c = Objects.Use<ICell>(new ObjectId(ids[i])))
                {
                    if (c.Target.Value != i * 3 + 1) wrong++;
                    if (c.Target.Version != 2) old++;
                }
            Operations.End();
            t.Equal(0, wrong, "every instance kept its state");
            t.Equal(0, old, "every instance is version 2 after its first access");
            t.Equal(N, LazyConversion.Converted, "each converted exactly once");
            v2.NextValue = -5;
            ObjectId fresh = cells.Create();
            Operations.Begin();
            using (var c = Objects.Use<ICell>(fresh)) t.Equal(2, c.Target.Version, "new instances come from the new factory");
            Operations.End();
            UpdateManager.CollectRetired();
            Heap.Free(ids);
        }

        // ---- interface change ----
        private static ObjectId s_kv, s_client;
        private static long s_oldCalls, s_newCalls;

        private static void OldCaller(nint key)
        {
            while (s_stop == 0)
            {
                using (var m = Objects.Use<IKeyValueV1>(s_kv)) m.Target.Put((int)key, (int)s_oldCalls);
                Interlocked.Increment(ref s_oldCalls);
                Operations.Checkpoint();
            }
        }

        private static void ClientCaller(nint key)
        {
            int n = 0;
            while (s_stop == 0)
            {
                using (var c = Objects.Use<IClient>(s_client)) c.Target.Store(s_kv, (int)key, n++);
                Interlocked.Increment(ref s_newCalls);
                Operations.Checkpoint();
            }
        }

        private static void InterfaceChange(TestContext t)
        {
            var kvClass = new UpdatableClass("kv", new KeyValueFactoryV1());
            var clientClass = new UpdatableClass("client", new ClientFactory(1));
            s_kv = kvClass.Create();
            s_client = clientClass.Create();
            s_stop = 0; s_oldCalls = 0; s_newCalls = 0;
            Thread oldCaller = Scheduler.Spawn(&OldCaller, 10, "v1-caller", 0);
            Thread client = Scheduler.Spawn(&ClientCaller, 20, "client", Cpus > 1 ? 1 : 0);
            Scheduler.Sleep(5_000_000);
            long oldBefore = Volatile.Read(in s_oldCalls), newBefore = Volatile.Read(in s_newCalls);
            // One unit, in dependency order: the map gains IKeyValueV2 (with a V1 adapter), then its client moves to V2.
            var classes = new UpdatableClass[] { kvClass, clientClass };
            var to = new UpdatableFactory[] { new KeyValueFactoryV2(), new ClientFactory(2) };
            UpdateReport r = UpdateManager.UpdateClasses("kv-ttl", classes, to);
            t.True(r.Committed, "interface change committed");
            Scheduler.Sleep(5_000_000);
            s_stop = 1;
            oldCaller.Join(); client.Join();
            t.True(Volatile.Read(in s_oldCalls) > oldBefore, "callers of the old interface kept working through the adapter");
            t.True(Volatile.Read(in s_newCalls) > newBefore, "the updated client kept working");
            Operations.Begin();
            using (var m = Objects.Use<IKeyValueV2>(s_kv))
            {
                t.Equal(7, m.Target.Ttl(20), "the client now calls the new Put with a ttl");
                t.Equal(0, m.Target.Ttl(10), "the adapter passes ttl 0 for old callers");
            }
            using (var m = Objects.Use<IKeyValueV1>(s_kv)) t.True(m.Target.Get(10) >= 0, "old interface still served after the update");
            using (var c = Objects.Use<IClient>(s_client)) t.Equal(2, c.Target.Version, "client updated in the same unit");
            Operations.End();
            Heap.Free(oldCaller); Heap.Free(client); Heap.Free(classes);
        }

        // ---- failure paths ----
        private static ObjectId MakeCounter(UpdatableFactory f, int increments)
        {
            var cls = new UpdatableClass("counter", f);
            ObjectId id = cls.Create();
            Operations.Begin();
            for (int i = 0; i < increments; i++) using (var c = Objects.Use<ICounter>(id)) c.Target.Increment();
            Operations.End();
            return id;
        }

        private static long TotalOf(ObjectId id)
        {
            Operations.Begin();
            long v;
            using (var c = Objects.Use<ICounter>(id)) v = c.Target.Total();
            Operations.End();
            return v;
        }

        private static void FailedTransfer(TestContext t)
        {
            ObjectId id = MakeCounter(new CounterFactory(1, 1 << 1, 1 << 1), 42);
            var bad = new CounterFactory(2, 1 << 1, 1 << 1) { FailImport = true };
            UpdateReport r = UpdateManager.SwapObjects("bad-import", new int[] { id.Value }, new UpdatableFactory[] { bad });
            t.True(r.Outcome == SwapOutcome.TransferFailed, "reported as a failed transfer");
            t.Equal(id.Value, r.ObjectId, "the report names the object");
            t.Equal(1, Objects.Root(id).Version, "the old version still serves");
            t.Equal(42, TotalOf(id), "with its state intact");
        }

        private static void FailedSelfCheck(TestContext t)
        {
            ObjectId id = MakeCounter(new CounterFactory(1, 1 << 1, 1 << 1), 17);
            var bad = new CounterFactory(2, 1 << 1, 1 << 1) { FailSelfCheck = true };
            UpdateReport r = UpdateManager.SwapObjects("bad-check", new int[] { id.Value }, new UpdatableFactory[] { bad });
            t.True(r.Outcome == SwapOutcome.SelfCheckFailed, "reported as a failed self-check");
            t.Equal(1, Objects.Root(id).Version, "rolled back to version 1");
            t.Equal(17, TotalOf(id), "state intact");
        }

        private static void NoCommonFormat(TestContext t)
        {
            ObjectId id = MakeCounter(new CounterFactory(1, 1 << 1, 1 << 1), 3);
            UpdateReport r = UpdateManager.SwapObjects("no-format", new int[] { id.Value }, new UpdatableFactory[] { new CounterFactory(2, 1 << 3, 1 << 3) });
            t.True(r.Outcome == SwapOutcome.NoCommonFormat, "refused: no common format");
            t.True(r.Reason != null, "with a reason");
            t.Equal(3, TotalOf(id), "state intact");
        }

        // ---- a wait cycle through an object being swapped ----
        // T1 is inside A (a counted call) waiting for T2; T2 waits in A's
        // Block phase for T1's call to drain. Nothing in the protocol can
        // break that, so the drain time-out must abort the swap and release T2.
        private static ObjectId s_a, s_b;
        private static Event s_go, s_insideA, s_t2Done;
        private static UpdateReport s_cycleReport;

        private static void CycleUpdater(nint unused)
        {
            s_cycleReport = UpdateManager.SwapObjects("cycle", new int[] { s_a.Value, s_b.Value },
                new UpdatableFactory[] { new ParkingFactory(2), new ParkingFactory(2) });
        }

        // T1 leaves its operation before calling, so the Forward marker can
        // elapse while it sits inside A: its call is one the mediator counts.
        private static void InsideA(nint unused)
        {
            int depth = Operations.Pause();
            s_go.Wait();
            using (var p = Objects.Use<IParking>(s_a)) p.Target.Enter(default, s_insideA, s_t2Done);
            Operations.Resume(depth);
        }

        private static void WaitsForA(nint unused)
        {
            using (var p = Objects.Use<IParking>(s_a)) p.Target.Enter(default, null, null);
            s_t2Done.Set();
        }

        /// <summary>At Forward (before the marker) of the cycle or chain swap: let the caller in and wait until it is inside A.</summary>
        private static void EnterDuringForward(UpdatePoint point, int firstId)
        {
            if (point != UpdatePoint.AfterForwardFlush) return;
            if (firstId == s_a.Value) { s_go.Set(); s_insideA.Wait(); }
            if (firstId == s_chainA.Value) { s_chainGo.Set(); s_chainInside.Wait(); }
        }

        private static void CallCycle(TestContext t)
        {
            var cls = new UpdatableClass("parking", new ParkingFactory(1));
            s_a = cls.Create(); s_b = cls.Create();
            s_go = new Event(); s_insideA = new Event(); s_t2Done = new Event();
            ulong savedDrain = HotSwap.DrainTimeoutNs;
            HotSwap.DrainTimeoutNs = 100_000_000;
            // T1 enters A during Forward, before the marker: the hook holds the
            // updater there (polling for Forward from here raced the marker).
            Thread t1 = Scheduler.Spawn(&InsideA, 0, "inside-a", Cpus > 1 ? 1 : 0);
            UpdateHooks.Set(&EnterDuringForward);
            Thread updater = Scheduler.Spawn(&CycleUpdater, 0, "updater", 0);
            s_insideA.Wait();
            UpdateHooks.Set(null);
            while (Objects.Root(s_a).CurrentState == RootState.Forward) Scheduler.Sleep(100_000);
            Thread t2 = Scheduler.Spawn(&WaitsForA, 0, "waits-for-a", Cpus > 2 ? 2 : 0);
            updater.Join(); t1.Join(); t2.Join();
            HotSwap.DrainTimeoutNs = savedDrain;
            t.True(s_cycleReport.Outcome == SwapOutcome.DrainTimeout, "the cycle ends in the drain time-out");
            t.Equal(s_a.Value, s_cycleReport.ObjectId, "the report names the object that did not drain");
            t.Equal(1, Objects.Root(s_a).Version, "A keeps the old version");
            t.Equal(1, Objects.Root(s_b).Version, "B keeps the old version: the set commits all or nothing");
            t.True(Objects.Root(s_a).CurrentState == RootState.Normal, "A serves again");
            Operations.Begin();
            using (var p = Objects.Use<IParking>(s_a)) t.Equal(2, ((ParkingRep)p.Target).Calls, "both calls into A completed");
            Operations.End();
            Heap.Free(updater); Heap.Free(t1); Heap.Free(t2);
        }

        private static ObjectId s_chainA, s_chainB;
        private static UpdateReport s_chainReport;
        private static Event s_chainInside, s_chainGo;

        private static void ChainUpdater(nint unused)
        {
            s_chainReport = UpdateManager.SwapObjects("chain", new int[] { s_chainA.Value, s_chainB.Value },
                new UpdatableFactory[] { new ParkingFactory(2), new ParkingFactory(2) });
        }

        private static void ChainCaller(nint unused)
        {
            int depth = Operations.Pause();
            s_chainGo.Wait();
            // Inside A, then into B while both are in their Block phase.
            using (var p = Objects.Use<IParking>(s_chainA)) p.Target.Enter(s_chainB, s_chainInside, s_chainGo2);
            Operations.Resume(depth);
        }

        private static Event s_chainGo2;

        private static void CallChainWithinSet(TestContext t)
        {
            var cls = new UpdatableClass("parking", new ParkingFactory(1));
            s_chainA = cls.Create(); s_chainB = cls.Create();
            s_chainGo = new Event(); s_chainGo2 = new Event(); s_chainInside = new Event();
            Thread caller = Scheduler.Spawn(&ChainCaller, 0, "a-then-b", Cpus > 1 ? 1 : 0);
            UpdateHooks.Set(&EnterDuringForward);
            Thread updater = Scheduler.Spawn(&ChainUpdater, 0, "updater", 0);
            s_chainInside.Wait();
            UpdateHooks.Set(null);
            while (Objects.Root(s_chainA).CurrentState == RootState.Forward) Scheduler.Sleep(100_000);
            s_chainGo2.Set(); // now A calls B, which is blocking new callers
            updater.Join(); caller.Join();
            t.True(s_chainReport.Committed, "a call from A into B within the set passes the Block phase");
            t.Equal(2, Objects.Root(s_chainB).Version, "B updated");
            Heap.Free(updater); Heap.Free(caller);
        }

        // ---- one update at a time ----
        private static ObjectId s_slow;
        private static UpdateReport s_slowReport;

        private static void SlowUpdater(nint unused)
        {
            var slow = new CounterFactory(2, 1 << 1, 1 << 1) { SlowImportNs = 20_000_000 };
            s_slowReport = UpdateManager.SwapObjects("slow", new int[] { s_slow.Value }, new UpdatableFactory[] { slow });
        }

        private static void SecondUpdateRefused(TestContext t)
        {
            s_slow = MakeCounter(new CounterFactory(1, 1 << 1, 1 << 1), 5);
            Thread updater = Scheduler.Spawn(&SlowUpdater, 0, "slow-updater", Cpus > 1 ? 1 : 0);
            while (UpdateManager.Running == null) Scheduler.Sleep(100_000);
            UpdateReport second = UpdateManager.SwapObjects("second", new int[] { s_slow.Value }, new UpdatableFactory[] { new CounterFactory(3, 1 << 1, 1 << 1) });
            updater.Join();
            t.True(second.Outcome == SwapOutcome.Busy, "the second update is refused");
            t.True(second.Reason != null, "with a reason");
            t.True(s_slowReport.Committed, "the first one completes");
            t.Equal(2, Objects.Root(s_slow).Version, "at the first update's version");
            t.Equal(5, TotalOf(s_slow), "state intact");
            Heap.Free(updater);
        }

        private static void Rollback(TestContext t)
        {
            ObjectId id = MakeCounter(new CounterFactory(1, 1 << 1, 1 << 1), 9);
            int level = UpdateManager.Level;
            UpdateReport r = UpdateManager.SwapObjects("v2", new int[] { id.Value }, new UpdatableFactory[] { new CounterFactory(2, 1 << 1, 1 << 1) });
            t.True(r.Committed, "update committed");
            t.Equal(level + 1, UpdateManager.Level, "patch level rose");
            Operations.Begin();
            using (var c = Objects.Use<ICounter>(id)) c.Target.Increment();
            Operations.End();
            UpdateReport back = UpdateManager.RollbackLast();
            t.True(back.Committed, "rollback committed");
            t.Equal(1, Objects.Root(id).Version, "version 1 serves again");
            t.Equal(10, TotalOf(id), "state made under version 2 moved back");
            t.Equal(level, UpdateManager.Level, "patch level restored");
            // Every level still applied (earlier tests' too) rolls back, top first.
            UpdateReport all = UpdateManager.RollbackTo(0);
            t.True(all.Committed, all.Reason ?? "every level rolled back");
            t.Equal(0, UpdateManager.Level, "level 0");
            UpdateReport none = UpdateManager.RollbackLast();
            t.True(none.Outcome == SwapOutcome.Invalid && none.Step == UpdateStep.Validate, "nothing left to roll back is refused");
        }
    }
}
