using System.Threading;
using Molt.Memory;

namespace Molt.Threading
{
    /// <summary>
    /// A blocking lock for thread context. Where it may be used: threads
    /// only, never in an interrupt handler or with a spinlock held (it may
    /// sleep). Not recursive; unlocking a mutex you do not hold is a bug and
    /// is reported by returning false.
    /// </summary>
    public sealed unsafe class Mutex
    {
        private int _locked;
        private Thread _owner;
        private WaitQueue _waiters;
        private ulong _contended;

        public ulong Contended => _contended;
        public bool IsLocked => Volatile.Read(in _locked) != 0;

        public void Lock()
        {
            if (Interlocked.CompareExchange(ref _locked, 1, 0) == 0) { _owner = Scheduler.Current; return; }
            _contended++;
            _waiters.WaitFor(&TryTake, ObjectRef.AddressOf(this));
            _owner = Scheduler.Current;
        }

        public bool TryLock()
        {
            if (Interlocked.CompareExchange(ref _locked, 1, 0) != 0) return false;
            _owner = Scheduler.Current;
            return true;
        }

        private static bool TryTake(nint self) => Interlocked.CompareExchange(ref ObjectRef.FromAddress<Mutex>(self)._locked, 1, 0) == 0;
        private static void Clear(nint self) => Volatile.Write(ref ObjectRef.FromAddress<Mutex>(self)._locked, 0);

        public bool Unlock()
        {
            if (_owner != Scheduler.Current) return false;
            _owner = null;
            _waiters.Signal(&Clear, ObjectRef.AddressOf(this), false);
            return true;
        }
    }

    /// <summary>
    /// A counting semaphore. Wait: threads only (it may sleep). Release:
    /// anywhere, including interrupt handlers.
    /// </summary>
    public sealed unsafe class Semaphore
    {
        private int _count;
        private WaitQueue _waiters;

        public Semaphore(int initial) { _count = initial; }
        public int Count => Volatile.Read(in _count);

        public void Wait() => _waiters.WaitFor(&TryTake, ObjectRef.AddressOf(this));

        public bool TryWait() => TryTake(ObjectRef.AddressOf(this));

        private static bool TryTake(nint self)
        {
            Semaphore s = ObjectRef.FromAddress<Semaphore>(self);
            while (true)
            {
                int c = Volatile.Read(in s._count);
                if (c <= 0) return false;
                if (Interlocked.CompareExchange(ref s._count, c - 1, c) == c) return true;
            }
        }

        private static void Add(nint self) => Interlocked.Increment(ref ObjectRef.FromAddress<Semaphore>(self)._count);

        public void Release() => _waiters.Signal(&Add, ObjectRef.AddressOf(this), false);
    }

    /// <summary>
    /// A one-shot event: once set it stays set and every waiter (past and
    /// future) proceeds. Wait: threads only. Set: anywhere.
    /// </summary>
    public sealed unsafe class Event
    {
        private int _set;
        private WaitQueue _waiters;

        public bool IsSet => Volatile.Read(in _set) != 0;

        public void Wait() => _waiters.WaitUntil(ref _set);

        private static void Mark(nint self) => Volatile.Write(ref ObjectRef.FromAddress<Event>(self)._set, 1);

        public void Set() => _waiters.Signal(&Mark, ObjectRef.AddressOf(this), true);
    }
}
