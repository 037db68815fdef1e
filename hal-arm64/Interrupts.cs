using System.Runtime.InteropServices;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Interrupts;
using Molt.Smp;
using Molt.Threading;

namespace Molt.Arch.Arm64
{
    /// <summary>The state vectors.S saves, lowest address first (q0-q31, FPSR, FPCR and a frame record follow it).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct ExceptionFrame
    {
        public fixed ulong X[31];
        public ulong Sp, Elr, Spsr, Esr, Far, Kind, Reserved;
        public fixed ulong Q[64];
        public ulong Fpsr, Fpcr;
        public ulong RecordFp, RecordLr;
    }

    /// <summary>
    /// Every exception arrives here from vectors.S.
    /// IRQs from kernel code come to <see cref="OnInterrupt"/>, on the
    /// interrupted thread's stack: acknowledge at the GIC, dispatch (the
    /// timer to Scheduler.Tick after re-arming it, SGIs 1-3 to
    /// Interprocessor.Handle, anything else to InterruptHandlers.Dispatch,
    /// 1020-1023 counted as spurious), signal end-of-interrupt, and only then
    /// let the scheduler preempt, because the thread switched to may run for
    /// a long time before this frame returns.
    /// Synchronous exceptions and SErrors are fatal: the panic names the
    /// exception as .NET would where one applies (a data abort near address 0
    /// is a NullReferenceException, worded as on x86-64), then prints ESR,
    /// FAR, the fault site, the registers and a backtrace. FIQs are counted.
    /// One synchronous exception is expected and resumed: the semihosting call
    /// trapping as undefined when QEMU runs without -semihosting (see
    /// <see cref="Hal.Emulator"/>).
    /// </summary>
    internal static unsafe class Interrupts
    {
        private const ulong NullGuard = 0x10000;
        private static ulong s_unexpected;
        private static bool s_noSemihosting;

        public static ulong UnexpectedCount => s_unexpected;
        public static bool SemihostingMissing => s_noSemihosting;

        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_semihosting_hlt_address();

        // Exception classes (ESR_EL1.EC).
        private const uint EcUnknown = 0x00, EcFpAccess = 0x07, EcIllegalState = 0x0E, EcSvc = 0x15;
        private const uint EcInstructionAbortLower = 0x20, EcInstructionAbort = 0x21, EcPcAlignment = 0x22;
        private const uint EcDataAbortLower = 0x24, EcDataAbort = 0x25, EcSpAlignment = 0x26, EcFpException = 0x2C;
        private const uint EcSError = 0x2F, EcBreakpoint = 0x3C;

        /// <summary>An IRQ taken in kernel code (vectors.S irq_common), on the interrupted thread's stack.</summary>
        [UnmanagedCallersOnly(EntryPoint = "molt_interrupt")]
        private static void OnInterrupt(ExceptionFrame* frame) => HandleIrq(true);

        private static void HandleIrq(bool mayPreempt)
        {
            uint acknowledged = Gic.Acknowledge();
            int intid = Gic.IntId(acknowledged);
            if (intid >= Gic.SpuriousFirst) { InterruptHandlers.CountSpurious(); return; }
            if (!Scheduler.Started)
            {
                s_unexpected++;
                if (intid == Timer.IntId) Timer.Stop();
                Gic.EndOfInterrupt(acknowledged);
                return;
            }
            CpuLocal* cpu = PerCpu.Current();
            cpu->InterruptDepth++;
            int ipi = Platform.IpiKindOf(intid);
            if (intid == Timer.IntId) { Timer.Rearm(); Scheduler.Tick(); }
            else if (ipi >= 0) Interprocessor.Handle((IpiKind)ipi);
            else if (intid >= InterruptHandlers.VectorCount || !InterruptHandlers.Dispatch(intid)) s_unexpected++;
            cpu->InterruptDepth--;
            Gic.EndOfInterrupt(acknowledged);
            if (mayPreempt) Scheduler.PreemptIfNeeded();
        }

        [UnmanagedCallersOnly(EntryPoint = "molt_exception")]
        private static void OnException(ExceptionFrame* frame)
        {
            ulong type = frame->Kind & 3; // 0 sync, 1 IRQ, 2 FIQ, 3 SError
            // An IRQ here was taken on SP_EL1 (inside an exception handler that
            // unmasked them): handled, but never a thread switch on this stack.
            if (type == 1) { HandleIrq(false); return; }
            if (type == 2) { s_unexpected++; return; }
            uint ec = (uint)(frame->Esr >> 26) & 0x3F;
            if (type == 0 && ec == EcUnknown && frame->Elr == molt_semihosting_hlt_address())
            {
                s_noSemihosting = true;
                frame->X[0] = ulong.MaxValue;
                frame->Elr += 4;
                return;
            }
            Fault(frame, type == 3);
        }

        private static string Name(uint ec)
        {
            switch (ec)
            {
                case EcUnknown: return "undefined instruction";
                case EcFpAccess: return "FP/SIMD access trapped";
                case EcIllegalState: return "illegal execution state";
                case EcSvc: return "svc";
                case EcInstructionAbortLower:
                case EcInstructionAbort: return "instruction abort";
                case EcPcAlignment: return "PC alignment fault";
                case EcDataAbortLower:
                case EcDataAbort: return "data abort";
                case EcSpAlignment: return "SP alignment fault";
                case EcFpException: return "floating-point exception";
                case EcSError: return "SError";
                case EcBreakpoint: return "breakpoint";
                default: return "CPU exception";
            }
        }

        private static string KindName(ulong kind)
        {
            switch (kind >> 2)
            {
                case 0: return "EL1, SP_EL0";
                case 1: return "EL1, SP_EL1 (in an exception handler)";
                case 2: return "EL0 AArch64";
                default: return "EL0 AArch32";
            }
        }

        /// <summary>Fault status code (DFSC/IFSC) class: translation (unmapped), access flag or permission (protected).</summary>
        private static bool IsTranslationFault(ulong esr) => ((esr & 0x3F) >> 2) == 1;

        private static void Fault(ExceptionFrame* f, bool serror)
        {
            uint ec = (uint)(f->Esr >> 26) & 0x3F;
            ulong far = f->Far;
            bool abort = ec == EcDataAbort || ec == EcDataAbortLower || ec == EcInstructionAbort || ec == EcInstructionAbortLower;
            bool farValid = abort && (f->Esr & (1 << 10)) == 0; // ISS.FnV
            bool fetch = ec == EcInstructionAbort || ec == EcInstructionAbortLower;
            bool write = !fetch && (f->Esr & (1 << 6)) != 0;    // ISS.WnR
            Panic.BeginCustom();
            if (serror)
                KernelConsole.Write("SError (asynchronous abort)");
            else if (abort && farValid && Memory.Stacks.WriteOverflow(far)) { } // a thread ran off its stack (reported on SP_EL1)
            else if (abort && farValid && far < NullGuard)
            {
                KernelConsole.Write("NullReferenceException: ");
                KernelConsole.Write(write ? "write to" : "read of");
                KernelConsole.Write(" address 0x");
                KernelConsole.WriteHex(far);
            }
            else if (abort)
            {
                KernelConsole.Write("page fault: ");
                KernelConsole.Write(fetch ? "instruction fetch from" : write ? "write to" : "read of");
                KernelConsole.Write(IsTranslationFault(f->Esr) ? " unmapped" : " protected");
                KernelConsole.Write(" address 0x");
                KernelConsole.WriteHex(farValid ? far : 0, 16);
            }
            else KernelConsole.Write(Name(ec));
            KernelConsole.Write('\n');
            KernelConsole.Write("  ");
            KernelConsole.Write(serror ? "SError" : "synchronous exception");
            KernelConsole.Write(" from ");
            KernelConsole.Write(KindName(f->Kind));
            KernelConsole.Write(", ESR 0x");
            KernelConsole.WriteHex(f->Esr, 8);
            KernelConsole.Write(" (EC 0x");
            KernelConsole.WriteHex(ec, 2);
            KernelConsole.Write(' ');
            KernelConsole.Write(Name(ec));
            KernelConsole.Write("), FAR 0x");
            KernelConsole.WriteHex(far, 16);
            KernelConsole.Write('\n');
            KernelConsole.Write("  elr ");
            Symbols.WriteSymbol((nint)f->Elr);
            KernelConsole.Write('\n');
            KernelConsole.Write("  lr  ");
            Symbols.WriteSymbol((nint)f->X[30]);
            KernelConsole.Write('\n');
            for (int i = 0; i < 31; i++)
            {
                KernelConsole.Write("  x");
                KernelConsole.WriteDecimal(i, 2, '0');
                KernelConsole.Write(' ');
                KernelConsole.WriteHex(f->X[i], 16);
                if ((i & 3) == 3) KernelConsole.Write('\n');
            }
            Reg("sp ", f->Sp); KernelConsole.Write('\n');
            Reg("spsr", f->Spsr); Reg("ttbr1", Native.ReadTtbr1()); Reg("sctlr", Native.ReadSctlr()); KernelConsole.Write('\n');
            // x29 is the faulting function's frame record: the walk starts at its caller.
            Panic.End((nint)f->X[29]);
        }

        private static void Reg(string name, ulong value)
        {
            KernelConsole.Write("  ");
            KernelConsole.Write(name);
            KernelConsole.Write(" ");
            KernelConsole.WriteHex(value, 16);
        }
    }
}
