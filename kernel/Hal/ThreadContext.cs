namespace Molt.Hal
{
    /// <summary>
    /// Switching kernel threads. Only callee-saved registers are saved: a
    /// switch is a function call, so the compiler already keeps everything
    /// else. A thread preempted by an interrupt has its full state (including
    /// SIMD registers) in the interrupt frame on its own stack, saved by the
    /// arch's interrupt entry.
    /// Kernel code never changes the floating-point control registers
    /// (MXCSR, FPCR), so they are not switched.
    /// </summary>
    public static unsafe partial class ThreadContext
    {
        /// <summary>
        /// Lays out a new thread's stack so that the first <see cref="Switch"/>
        /// to it calls <c>Scheduler.ThreadStart(arg)</c>. Returns its saved stack pointer.
        /// </summary>
        public static partial nint Prepare(nint stackTop, nint arg);

        /// <summary>Saves this thread's registers, stores its stack pointer in <paramref name="saveSp"/>, resumes the thread saved at <paramref name="resumeSp"/>. Interrupts must be off.</summary>
        public static partial void Switch(nint* saveSp, nint resumeSp);
    }
}
