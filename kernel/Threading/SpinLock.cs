using System.Threading;
using Molt.Hal;

namespace Molt.Threading
{
    /// <summary>
    /// A test-and-test-and-set spinlock that disables interrupts while held.
    /// Where it may be used: anywhere, including interrupt handlers, but only
    /// around short sections that never block or sleep. Not recursive.
    /// Usage: <c>bool irq = l.Acquire(); ... l.Release(irq);</c>
    /// </summary>
    public struct SpinLock
    {
        private int _held;
        private ulong _contended;

        /// <summary>Times an acquirer found the lock taken (for benchmarks and diagnostics).</summary>
        public ulong Contended => _contended;
        public bool IsHeld => Volatile.Read(in _held) != 0;

        /// <summary>Disables interrupts and takes the lock; returns whether interrupts were on, for <see cref="Release"/>.</summary>
        public bool Acquire()
        {
            bool wasEnabled = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            if (Interlocked.CompareExchange(ref _held, 1, 0) == 0) return wasEnabled;
            _contended++;
            do
            {
                while (Volatile.Read(in _held) != 0) Cpu.Relax();
            } while (Interlocked.CompareExchange(ref _held, 1, 0) != 0);
            return wasEnabled;
        }

        /// <summary>Takes the lock only if it is free; interrupts are left off on success.</summary>
        public bool TryAcquire(out bool wasEnabled)
        {
            wasEnabled = Cpu.InterruptsEnabled();
            Cpu.DisableInterrupts();
            if (Interlocked.CompareExchange(ref _held, 1, 0) == 0) return true;
            if (wasEnabled) Cpu.EnableInterrupts();
            return false;
        }

        public void Release(bool interruptsWereEnabled)
        {
            Volatile.Write(ref _held, 0);
            if (interruptsWereEnabled) Cpu.EnableInterrupts();
        }

        /// <summary>Takes the lock without touching interrupts: for callers that already run with them off.</summary>
        public void AcquireNoIrq()
        {
            while (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
            {
                _contended++;
                while (Volatile.Read(in _held) != 0) Cpu.Relax();
            }
        }

        public void ReleaseNoIrq() => Volatile.Write(ref _held, 0);

        /// <summary>Only for the panic path: takes the lock away from a CPU that will never release it.</summary>
        public void ForceRelease() => Volatile.Write(ref _held, 0);
    }
}
