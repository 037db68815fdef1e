using System.Runtime.InteropServices;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Interrupts;
using Molt.Smp;
using Molt.Threading;

namespace Molt.Arch.X64
{
    /// <summary>The registers isr.S saves, lowest address first.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InterruptFrame
    {
        public ulong R15, R14, R13, R12, R11, R10, R9, R8, Rbp, Rdi, Rsi, Rdx, Rcx, Rbx, Rax;
        public ulong Vector, ErrorCode;
        public ulong Rip, Cs, Rflags, Rsp, Ss;
    }

    /// <summary>
    /// Every interrupt and exception arrives here from isr.S. CPU exceptions
    /// (vectors 0-31) are fatal: the panic names the exception as .NET would
    /// where one applies (a page fault near address 0 is a
    /// NullReferenceException, #DE a DivideByZeroException), then prints
    /// the vector, error code, CR2, the registers and a backtrace.
    /// Device interrupts (32-255) have no handlers yet and are counted.
    /// </summary>
    internal static unsafe class Interrupts
    {
        private const ulong NullGuard = 0x10000;
        private static ulong s_unexpected;

        public static ulong UnexpectedCount => s_unexpected;

        /// <summary>
        /// Every vector lands here. Device interrupts, the tick and IPIs are
        /// acknowledged (EOI) before a possible thread switch, because the
        /// switched-to thread may run for a long time before this frame returns.
        /// </summary>
        [UnmanagedCallersOnly(EntryPoint = "molt_interrupt")]
        private static void OnInterrupt(InterruptFrame* frame)
        {
            ulong vector = frame->Vector;
            if (vector < 32) { Fault(frame); return; }
            if (vector == LocalApic.SpuriousVector) { InterruptHandlers.CountSpurious(); return; }
            if (!Scheduler.Started) { s_unexpected++; LocalApic.EndOfInterrupt(); return; }
            CpuLocal* cpu = PerCpu.Current();
            cpu->InterruptDepth++;
            int ipi = Platform.IpiKindOf(vector);
            if (vector == LocalApic.TimerVector) Scheduler.Tick();
            else if (ipi >= 0) Interprocessor.Handle((IpiKind)ipi);
            else if (!InterruptHandlers.Dispatch((int)vector)) s_unexpected++;
            cpu->InterruptDepth--;
            LocalApic.EndOfInterrupt();
            Scheduler.PreemptIfNeeded();
        }

        private static string Name(ulong vector)
        {
            switch (vector)
            {
                case 0: return "#DE divide error";
                case 1: return "#DB debug";
                case 2: return "NMI";
                case 3: return "#BP breakpoint";
                case 4: return "#OF overflow";
                case 5: return "#BR bound range";
                case 6: return "#UD invalid opcode";
                case 7: return "#NM device not available";
                case 8: return "#DF double fault";
                case 10: return "#TS invalid TSS";
                case 11: return "#NP segment not present";
                case 12: return "#SS stack fault";
                case 13: return "#GP general protection";
                case 14: return "#PF page fault";
                case 16: return "#MF x87 error";
                case 17: return "#AC alignment check";
                case 18: return "#MC machine check";
                case 19: return "#XM SIMD error";
                default: return "CPU exception";
            }
        }

        private static void Fault(InterruptFrame* f)
        {
            ulong cr2 = Native.ReadCr2();
            Panic.BeginCustom();
            // A thread that ran off its stack faults on the guard page; the
            // exception frame then cannot be pushed either, so it arrives as #DF (on IST1).
            if ((f->Vector == 14 || f->Vector == 8) && Memory.Stacks.WriteOverflow(cr2)) { }
            else if (f->Vector == 0)
                KernelConsole.Write("DivideByZeroException: attempted to divide by zero");
            else if (f->Vector == 14 && cr2 < NullGuard)
            {
                KernelConsole.Write("NullReferenceException: ");
                KernelConsole.Write((f->ErrorCode & 2) != 0 ? "write to" : "read of");
                KernelConsole.Write(" address 0x");
                KernelConsole.WriteHex(cr2);
            }
            else if (f->Vector == 14)
            {
                KernelConsole.Write("page fault: ");
                KernelConsole.Write((f->ErrorCode & 16) != 0 ? "instruction fetch from" : (f->ErrorCode & 2) != 0 ? "write to" : "read of");
                KernelConsole.Write((f->ErrorCode & 1) != 0 ? " protected" : " unmapped");
                KernelConsole.Write(" address 0x");
                KernelConsole.WriteHex(cr2, 16);
            }
            else KernelConsole.Write(Name(f->Vector));
            KernelConsole.Write('\n');
            KernelConsole.Write("  vector ");
            KernelConsole.WriteDecimal((long)f->Vector);
            KernelConsole.Write(" (");
            KernelConsole.Write(Name(f->Vector));
            KernelConsole.Write("), error code 0x");
            KernelConsole.WriteHex(f->ErrorCode);
            KernelConsole.Write(", cr2 0x");
            KernelConsole.WriteHex(cr2, 16);
            KernelConsole.Write('\n');
            KernelConsole.Write("  rip ");
            Symbols.WriteSymbol((nint)f->Rip);
            KernelConsole.Write('\n');
            Reg("rax", f->Rax); Reg("rbx", f->Rbx); Reg("rcx", f->Rcx); Reg("rdx", f->Rdx); KernelConsole.Write('\n');
            Reg("rsi", f->Rsi); Reg("rdi", f->Rdi); Reg("rbp", f->Rbp); Reg("rsp", f->Rsp); KernelConsole.Write('\n');
            Reg("r8 ", f->R8); Reg("r9 ", f->R9); Reg("r10", f->R10); Reg("r11", f->R11); KernelConsole.Write('\n');
            Reg("r12", f->R12); Reg("r13", f->R13); Reg("r14", f->R14); Reg("r15", f->R15); KernelConsole.Write('\n');
            Reg("rfl", f->Rflags); Reg("cs ", f->Cs); Reg("ss ", f->Ss); Reg("cr3", Native.ReadCr3()); KernelConsole.Write('\n');
            // The faulting function may not have set up its frame yet; its return
            // address is then at [rsp]. Print the fault site, then walk from rbp.
            Panic.End((nint)f->Rbp);
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
