using Molt.Hal;

namespace Molt.Threading
{
    /// <summary>
    /// Threads blocked until something happens. The building block of
    /// <see cref="Mutex"/>, <see cref="Semaphore"/> and <see cref="Event"/>.
    /// Waiting: thread context only (never in an interrupt handler).
    /// Waking: anywhere, including interrupt handlers.
    /// No wake-up is lost: a waiter checks its condition under the queue's
    /// lock, and is queued before the lock is dropped.
    /// </summary>
    public struct WaitQueue
    {
        private SpinLock _lock;
        private Thread _head, _tail;

        /// <summary>Blocks while <paramref name="flag"/> is 0. Returns once it is non-zero.</summary>
        public void WaitUntil(ref int flag)
        {
            while (true)
            {
                bool irq = _lock.Acquire();
                if (System.Threading.Volatile.Read(in flag) != 0) { _lock.Release(irq); return; }
                Enqueue(Scheduler.Current);
                Scheduler.BlockCurrentAndRelease(ref _lock);
                if (irq) Cpu.EnableInterrupts();
            }
        }

        /// <summary>Runs <paramref name="tryTake"/> under the queue lock; blocks and retries while it returns false.</summary>
        public unsafe void WaitFor(delegate*<nint, bool> tryTake, nint state)
        {
            while (true)
            {
                bool irq = _lock.Acquire();
                if (tryTake(state)) { _lock.Release(irq); return; }
                Enqueue(Scheduler.Current);
                Scheduler.BlockCurrentAndRelease(ref _lock);
                if (irq) Cpu.EnableInterrupts();
            }
        }

        /// <summary>Runs <paramref name="action"/> under the queue lock, then wakes one waiter (or all).</summary>
        public unsafe void Signal(delegate*<nint, void> action, nint state, bool all)
        {
            bool irq = _lock.Acquire();
            if (action != null) action(state);
            Thread first = _head;
            if (all) { _head = _tail = null; }
            else if (first != null) { _head = first.Next; if (_head == null) _tail = null; first.Next = null; }
            _lock.Release(irq);
            while (first != null)
            {
                Thread next = all ? first.Next : null;
                first.Next = null;
                Scheduler.Wake(first);
                first = next;
            }
        }

        public void WakeAll() { unsafe { Signal(null, 0, true); } }
        public void WakeOne() { unsafe { Signal(null, 0, false); } }

        private void Enqueue(Thread t)
        {
            t.Next = null;
            if (_tail == null) _head = _tail = t;
            else { _tail.Next = t; _tail = t; }
        }
    }
}
