#nullable disable
using System;

namespace Molt.Net
{
    /// <summary>A source of time for the stack: monotonic microseconds. Host tests pass a fake one.</summary>
    public interface INetClock
    {
        long NowMicroseconds { get; }
    }

    /// <summary>
    /// The few things the protocol code needs from its host, in one place so
    /// the rest compiles unchanged into the kernel and into the host tests:
    /// a lock, a short wait for blocking calls, and the release of the
    /// buffers allocated at start (the kernel has no GC: Heap.Free; the host
    /// lets its GC do it).
    /// </summary>
    public sealed class NetLock
    {
#if MOLT_HOST
        private readonly object _gate = new object();
        public void Enter() => System.Threading.Monitor.Enter(_gate);
        public void Exit() => System.Threading.Monitor.Exit(_gate);
#else
        private readonly Molt.Threading.Mutex _mutex = new Molt.Threading.Mutex();
        public void Enter() => _mutex.Lock();
        public void Exit() => _mutex.Unlock();
        /// <summary>Frees the mutex; the lock must not be used afterwards.</summary>
        public void Free() => Molt.Memory.Heap.Free(_mutex);
#endif
    }

    public static class NetPlatform
    {
        /// <summary>
        /// Gives other threads (the network thread) a chance; the unit of a
        /// blocking call's wait loop. In the kernel the wait leaves the
        /// thread's operation (Operations.Pause), so a thread parked in a
        /// socket call never holds back quiescence; hence: never make a
        /// blocking socket call inside an Objects.Use block.
        /// </summary>
        public static void WaitBriefly()
        {
#if MOLT_HOST
            System.Threading.Thread.Sleep(1);
#else
            int depth = Molt.Threading.Operations.Pause();
            Molt.Threading.Scheduler.Sleep(1_000_000);
            Molt.Threading.Operations.Resume(depth);
#endif
        }

        /// <summary>A quiescent point between requests of a long-running server loop (kernel: Operations.Checkpoint).</summary>
        public static void Checkpoint()
        {
#if !MOLT_HOST
            Molt.Threading.Operations.Checkpoint();
#endif
        }

        /// <summary>Releases a buffer the stack allocated at start (kernel: Heap.Free; host: the GC's).</summary>
        public static void Free(object o)
        {
#if !MOLT_HOST
            if (o != null) Molt.Memory.Heap.Free(o);
#endif
        }
    }

#if !MOLT_HOST
    /// <summary>The kernel's clock, in microseconds since boot.</summary>
    public sealed class KernelNetClock : INetClock
    {
        public long NowMicroseconds => (long)(Molt.Time.Clock.NanosecondsSinceBoot() / 1000);
    }
#endif
}
