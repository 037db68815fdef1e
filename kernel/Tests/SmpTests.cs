using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Testing;
using Molt.Threading;
using Molt.Time;
using SpinLock = Molt.Threading.SpinLock;
using Mutex = Molt.Threading.Mutex;
using Semaphore = Molt.Threading.Semaphore;
using Thread = Molt.Threading.Thread;

namespace Molt.Tests
{
    /// <summary>Multi-CPU tests: they hold on 1, 2 and 4 CPUs; with one CPU every thread shares CPU 0.</summary>
    internal static unsafe class SmpTests
    {
        public static void Register()
        {
            TestRunner.Add("smp.all_cpus_online", &AllOnline);
            TestRunner.Add("smp.thread_on_each_cpu_reports_its_id", &ThreadPerCpu);
            TestRunner.Add("smp.percpu_blocks_in_separate_pages", &PerCpuPages);
            TestRunner.Add("ipi.call_function_on_each_cpu", &CallEachCpu);
            TestRunner.Add("ipi.tlb_shootdown_acknowledged", &Shootdown);
            TestRunner.Add("sync.atomic_counter_stress", &AtomicStress);
            TestRunner.Add("sync.spinlock_counter_stress", &SpinStress);
            TestRunner.Add("sync.mutex_counter_stress", &MutexStress);
            TestRunner.Add("sync.producer_consumer_no_loss_no_dup", &ProducerConsumer);
            TestRunner.Add("sync.event_releases_all_waiters", &EventReleasesAll);
            TestRunner.Add("heap.alloc_on_one_cpu_free_on_another", &CrossCpuFree);
            TestRunner.Add("time.clock_is_monotonic", &Monotonic);
            TestRunner.Add("time.sleep_never_returns_early", &SleepNotEarly);
            TestRunner.Add("time.timers_fire_in_deadline_order", &TimersInOrder);
            TestRunner.Add("sched.spinning_thread_is_preempted", &Preemption);
            TestRunner.Add("sched.idle_cpu_steals_queued_work", &Stolen);
            TestRunner.Add("work.items_run_once_each_as_operations", &WorkItems);
        }

        private static int Cpus => Processors.Online;

        // ---- shared state for thread bodies (threads take one nint argument) ----
        private static int[] s_slots;
        private static long s_counter;
        private static SpinLock s_spin;
        private static Mutex s_mutex;
        private static int s_iterations;
        private static volatile int s_stop;

        private static Thread[] SpawnAll(delegate*<nint, void> body, int count, bool pinned)
        {
            var threads = new Thread[count];
            for (int i = 0; i < count; i++)
                threads[i] = Scheduler.Spawn(body, i, "test", pinned ? i % Cpus : -1);
            return threads;
        }

        private static void JoinAll(Thread[] threads)
        {
            for (int i = 0; i < threads.Length; i++)
            {
                if (threads[i] == null) continue;
                threads[i].Join();
                Heap.Free(threads[i]);
            }
            Heap.Free(threads);
        }

        private static void AllOnline(TestContext t)
        {
            t.Equal(Processors.Count, Processors.Online, "online CPUs equal discovered CPUs");
            t.True(Processors.Online >= 1, "at least the boot CPU");
        }

        private static void RecordCpu(nint slot) => s_slots[slot] = Scheduler.CurrentCpu;

        private static void ThreadPerCpu(TestContext t)
        {
            s_slots = new int[Cpus];
            for (int i = 0; i < s_slots.Length; i++) s_slots[i] = -1;
            JoinAll(SpawnAll(&RecordCpu, Cpus, true));
            for (int i = 0; i < s_slots.Length; i++) t.Equal(i, s_slots[i], "thread pinned to CPU i ran on CPU i");
            Heap.Free(s_slots);
        }

        private static void PerCpuPages(TestContext t)
        {
            for (int i = 0; i < Processors.Count; i++)
            {
                CpuLocal* c = Processors.Get(i);
                t.True(((ulong)c & 0xFFF) == 0, "per-CPU block is page aligned");
                t.True(c->Self == c, "per-CPU block points at itself");
                t.Equal(i, c->Index, "per-CPU block index");
            }
            t.True(PerCpu.Current() == Processors.Get(Scheduler.CurrentCpu), "base register reaches this CPU's block");
        }

        private static void MarkCalled(nint slot) => s_slots[slot] = PerCpu.Current()->Index + 100;

        private static void CallEachCpu(TestContext t)
        {
            s_slots = new int[Cpus];
            int self = Scheduler.CurrentCpu;
            for (int i = 0; i < Cpus; i++)
                if (i != self) Interprocessor.Call(i, &MarkCalled, i, true);
            for (int i = 0; i < Cpus; i++)
                if (i != self) t.Equal(i + 100, s_slots[i], "function ran on the CPU it was sent to");
            Heap.Free(s_slots);
        }

        private static void Shootdown(TestContext t)
        {
            bool irq = Cpu.InterruptsEnabled();
            Interprocessor.ShootDown(~0UL, Cpus, Scheduler.CurrentCpu);
            t.True(true, "every CPU acknowledged");
            if (!irq) Cpu.DisableInterrupts();
        }

        private static void AtomicBody(nint unused)
        {
            for (int i = 0; i < s_iterations; i++) Interlocked.Increment(ref s_counter);
        }

        private static void SpinBody(nint unused)
        {
            for (int i = 0; i < s_iterations; i++)
            {
                bool irq = s_spin.Acquire();
                s_counter++;
                s_spin.Release(irq);
            }
        }

        private static void MutexBody(nint unused)
        {
            for (int i = 0; i < s_iterations; i++)
            {
                s_mutex.Lock();
                s_counter++;
                s_mutex.Unlock();
            }
        }

        private static void CounterStress(TestContext t, delegate*<nint, void> body, int iterations, string what)
        {
            s_counter = 0;
            s_iterations = iterations;
            int threads = 2 * Cpus;
            JoinAll(SpawnAll(body, threads, true));
            t.Equal((long)threads * iterations, s_counter, what);
        }

        private static void AtomicStress(TestContext t) => CounterStress(t, &AtomicBody, 50_000, "atomic increments counted exactly");
        private static void SpinStress(TestContext t) => CounterStress(t, &SpinBody, 20_000, "spinlock-protected increments counted exactly");

        private static void MutexStress(TestContext t)
        {
            s_mutex = new Mutex();
            CounterStress(t, &MutexBody, 5_000, "mutex-protected increments counted exactly");
            t.True(!s_mutex.IsLocked, "mutex free at the end");
            Heap.Free(s_mutex);
        }

        // ---- producer/consumer over a bounded ring ----
        private const int RingSize = 64;
        private const int ItemsPerProducer = 5_000;
        private static int[] s_ring;
        private static int s_head, s_tail;
        private static Semaphore s_free, s_full;
        private static Mutex s_ringLock;
        private static int[] s_seen;

        private static void Producer(nint index)
        {
            for (int i = 0; i < ItemsPerProducer; i++)
            {
                int item = (int)index * ItemsPerProducer + i;
                s_free.Wait();
                s_ringLock.Lock();
                s_ring[s_tail] = item;
                s_tail = (s_tail + 1) % RingSize;
                s_ringLock.Unlock();
                s_full.Release();
            }
        }

        private static void Consumer(nint count)
        {
            for (int i = 0; i < (int)count; i++)
            {
                s_full.Wait();
                s_ringLock.Lock();
                int item = s_ring[s_head];
                s_head = (s_head + 1) % RingSize;
                s_ringLock.Unlock();
                s_free.Release();
                Interlocked.Increment(ref s_seen[item]);
            }
        }

        private static void ProducerConsumer(TestContext t)
        {
            int producers = Cpus < 2 ? 1 : Cpus / 2 + 1;
            int consumers = producers;
            int total = producers * ItemsPerProducer;
            s_ring = new int[RingSize];
            s_head = s_tail = 0;
            s_free = new Semaphore(RingSize);
            s_full = new Semaphore(0);
            s_ringLock = new Mutex();
            s_seen = new int[total];
            var threads = new Thread[producers + consumers];
            for (int i = 0; i < producers; i++) threads[i] = Scheduler.Spawn(&Producer, i, "producer", i % Cpus);
            for (int i = 0; i < consumers; i++) threads[producers + i] = Scheduler.Spawn(&Consumer, ItemsPerProducer, "consumer", (i + 1) % Cpus);
            JoinAll(threads);
            int missing = 0, doubled = 0;
            for (int i = 0; i < total; i++) { if (s_seen[i] == 0) missing++; if (s_seen[i] > 1) doubled++; }
            t.Equal(0, missing, "items lost");
            t.Equal(0, doubled, "items delivered twice");
            t.Equal(RingSize, s_free.Count, "ring drained");
            Heap.Free(s_ring); Heap.Free(s_free); Heap.Free(s_full); Heap.Free(s_ringLock); Heap.Free(s_seen);
        }

        private static Event s_event;
        private static int s_released;

        private static void EventWaiter(nint unused)
        {
            s_event.Wait();
            Interlocked.Increment(ref s_released);
        }

        private static void EventReleasesAll(TestContext t)
        {
            s_event = new Event();
            s_released = 0;
            var threads = SpawnAll(&EventWaiter, 2 * Cpus, false);
            Scheduler.Sleep(2_000_000);
            t.Equal(0, Volatile.Read(in s_released), "no waiter passes before Set");
            s_event.Set();
            JoinAll(threads);
            t.Equal(2 * Cpus, s_released, "every waiter released");
            s_event.Wait(); // already set: returns at once
            Heap.Free(s_event);
        }

        // ---- allocate on one CPU, free on another ----
        private const int Batch = 256;
        private const int Rounds = 200;
        private static nint[] s_handoff;
        private static Semaphore s_handoffFull, s_handoffEmpty;

        private static void Allocator(nint unused)
        {
            for (int r = 0; r < Rounds; r++)
            {
                s_handoffEmpty.Wait();
                for (int i = 0; i < Batch; i++) s_handoff[i] = (nint)Heap.Allocate((uint)(16 << (i % 6)));
                s_handoffFull.Release();
            }
        }

        private static long s_freeFailures;

        private static void Freer(nint unused)
        {
            for (int r = 0; r < Rounds; r++)
            {
                s_handoffFull.Wait();
                for (int i = 0; i < Batch; i++)
                    if (Heap.Free((void*)s_handoff[i]) != Heap.FreeResult.Freed) Interlocked.Increment(ref s_freeFailures);
                s_handoffEmpty.Release();
            }
        }

        private static void CrossCpuFree(TestContext t)
        {
            s_handoff = new nint[Batch];
            s_handoffFull = new Semaphore(0);
            s_handoffEmpty = new Semaphore(1);
            s_freeFailures = 0;
            long before = Heap.BytesInUse; // the Thread objects below are freed before the check
            Thread a = Scheduler.Spawn(&Allocator, 0, "allocator", 0);
            Thread b = Scheduler.Spawn(&Freer, 0, "freer", Cpus > 1 ? 1 : 0);
            a.Join(); b.Join();
            Heap.Free(a); Heap.Free(b);
            t.Equal(0, s_freeFailures, "every block freed on the other CPU was accepted");
            t.Equal(before, Heap.BytesInUse, "heap usage back to where it started");
            Heap.Free(s_handoff); Heap.Free(s_handoffFull); Heap.Free(s_handoffEmpty);
        }

        private static void Monotonic(TestContext t)
        {
            ulong last = Clock.NanosecondsSinceBoot();
            for (int i = 0; i < 10_000; i++)
            {
                ulong now = Clock.NanosecondsSinceBoot();
                if (!t.True(now >= last, "clock never goes backwards")) return;
                last = now;
            }
        }

        private static void SleepNotEarly(TestContext t)
        {
            System.Span<ulong> durations = stackalloc ulong[3];
            durations[0] = 1_000_000; durations[1] = 3_000_000; durations[2] = 10_000_000;
            for (int i = 0; i < durations.Length; i++)
            {
                ulong start = Clock.NanosecondsSinceBoot();
                Scheduler.Sleep(durations[i]);
                ulong slept = Clock.NanosecondsSinceBoot() - start;
                t.True(slept >= durations[i], "sleep returned before its duration");
            }
        }

        private static int[] s_fired;
        private static int s_firedCount;
        private static void TimerFired(nint id) => s_fired[Interlocked.Increment(ref s_firedCount) - 1] = (int)id;

        private static void TimersInOrder(TestContext t)
        {
            s_fired = new int[3];
            s_firedCount = 0;
            ulong now = Clock.NanosecondsSinceBoot();
            var a = new TimerEntry { Callback = &TimerFired, Argument = 3 };
            var b = new TimerEntry { Callback = &TimerFired, Argument = 1 };
            var c = new TimerEntry { Callback = &TimerFired, Argument = 2 };
            t.True(Scheduler.ArmTimer(a, now + 9_000_000), "arm 9 ms");
            t.True(Scheduler.ArmTimer(b, now + 3_000_000), "arm 3 ms");
            t.True(Scheduler.ArmTimer(c, now + 6_000_000), "arm 6 ms");
            t.True(!Scheduler.ArmTimer(c, now + 1_000_000), "an armed timer cannot be armed twice");
            Scheduler.Sleep(15_000_000);
            t.Equal(3, Volatile.Read(in s_firedCount), "all three fired");
            t.Equal(1, s_fired[0], "earliest first");
            t.Equal(2, s_fired[1], "middle second");
            t.Equal(3, s_fired[2], "latest last");
            Heap.Free(a); Heap.Free(b); Heap.Free(c); Heap.Free(s_fired);
        }

        private static long s_spins;
        private static void Spinner(nint unused)
        {
            while (s_stop == 0) Interlocked.Increment(ref s_spins);
        }

        private static void Preemption(TestContext t)
        {
            s_stop = 0;
            s_spins = 0;
            int cpu = Scheduler.CurrentCpu;
            // The spinner never yields and shares this CPU: only preemption lets this thread run again.
            Thread spinner = Scheduler.Spawn(&Spinner, 0, "spinner", cpu);
            for (int i = 0; i < 5; i++) Scheduler.Yield();
            ulong start = Clock.NanosecondsSinceBoot();
            while (Clock.NanosecondsSinceBoot() - start < 30_000_000) { }
            s_stop = 1;
            spinner.Join();
            t.True(Volatile.Read(in s_spins) > 0, "the spinner ran");
            t.True(spinner.Switches >= 1, "the spinner was switched in");
            Heap.Free(spinner);
        }

        private static void Stolen(TestContext t)
        {
            if (Cpus < 2) { t.True(true, "one CPU: nothing to steal"); return; }
            // Queue unpinned threads on this CPU while it refuses to switch:
            // only another CPU's idle loop stealing them can run them.
            s_slots = new int[4];
            for (int i = 0; i < s_slots.Length; i++) s_slots[i] = -1;
            int self = Scheduler.CurrentCpu;
            ulong stealsBefore = Scheduler.Steals;
            PerCpu.Current()->PreemptDisable++;
            var threads = new Thread[s_slots.Length];
            for (int i = 0; i < threads.Length; i++) threads[i] = Scheduler.Spawn(&RecordCpu, i, "stealable", -1, self);
            ulong start = Clock.NanosecondsSinceBoot();
            int done = 0;
            while (done < s_slots.Length && Clock.NanosecondsSinceBoot() - start < 5_000_000_000UL)
            {
                done = 0;
                for (int i = 0; i < s_slots.Length; i++) if (Volatile.Read(in s_slots[i]) >= 0) done++;
            }
            PerCpu.Current()->PreemptDisable--;
            JoinAll(threads);
            for (int i = 0; i < s_slots.Length; i++) t.True(s_slots[i] != self, "a thread queued on a busy CPU ran elsewhere");
            t.True(Scheduler.Steals >= stealsBefore + (ulong)s_slots.Length, "each was stolen");
            Heap.Free(s_slots);
        }

        private static int[] s_workSeen;
        private static int s_workInOperation;

        private static void WorkItem(nint id)
        {
            Interlocked.Increment(ref s_workSeen[id]);
            if (Operations.InOperation) Interlocked.Increment(ref s_workInOperation);
        }

        private static void WorkItems(TestContext t)
        {
            const int N = 1000;
            s_workSeen = new int[N];
            s_workInOperation = 0;
            int posted = 0;
            for (int i = 0; i < N; i++)
            {
                while (!WorkQueue.Post(&WorkItem, i)) Scheduler.Sleep(100_000); // a full ring says so; retry
                posted++;
            }
            ulong start = Clock.NanosecondsSinceBoot();
            int done;
            do
            {
                Scheduler.Sleep(1_000_000);
                done = 0;
                for (int i = 0; i < N; i++) if (Volatile.Read(in s_workSeen[i]) != 0) done++;
            } while (done < N && Clock.NanosecondsSinceBoot() - start < 5_000_000_000UL);
            int twice = 0;
            for (int i = 0; i < N; i++) if (s_workSeen[i] > 1) twice++;
            t.Equal(N, done, "every posted item ran");
            t.Equal(0, twice, "no item ran twice");
            t.Equal(N, Volatile.Read(in s_workInOperation), "each item ran inside an operation");
            Heap.Free(s_workSeen);
        }
    }
}
