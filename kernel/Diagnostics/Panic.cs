using System;
using Internal.Runtime;
using Molt.Console;
using Molt.Hal;

namespace Molt.Diagnostics
{
    /// <summary>
    /// Stops the kernel with a reason, the registers when a CPU fault caused
    /// it, and a symbolized backtrace. Every panic prints one line that starts
    /// <c>PANIC: </c> followed by the reason, which is what test runners match.
    ///
    /// Kernel code reports recoverable errors by return value; a C# throw, a
    /// failed cast, a bounds check or a CPU fault ends here.
    /// In test mode a panic exits the emulator with <see cref="ExitStatus"/>.
    /// </summary>
    public static unsafe class Panic
    {
        /// <summary>The exit status a panic gives the emulator: distinct from pass (0) and test failure (1).</summary>
        public const int ExitStatus = 3;

        private static int s_inPanic;

        public static void Fail(string reason) => Begin(reason, ReadCallerFrame());

        public static void Throw(Exception ex)
        {
            BeginHeader();
            KernelConsole.Write("unhandled exception ");
            if (ex == null) KernelConsole.Write("(null)");
            else
            {
                Symbols.WriteTypeName(ex.m_pEEType);
                string message = ex.Message;
                if ((object)message != null) { KernelConsole.Write(": "); KernelConsole.Write(message); }
            }
            KernelConsole.Write('\n');
            Finish(ReadCallerFrame());
        }

        internal static void InvalidCast(MethodTable* from, MethodTable* to)
        {
            BeginHeader();
            KernelConsole.Write("InvalidCastException: cannot cast ");
            Symbols.WriteTypeName(from);
            KernelConsole.Write(" to ");
            Symbols.WriteTypeName(to);
            KernelConsole.Write('\n');
            Finish(ReadCallerFrame());
        }

        public static void NullReference(ulong address)
        {
            BeginHeader();
            KernelConsole.Write("NullReferenceException: access to address 0x");
            KernelConsole.WriteHex(address);
            KernelConsole.Write('\n');
            Finish(ReadCallerFrame());
        }

        internal static void MissingInterfaceMethod(MethodTable* type, MethodTable* iface, ushort slot)
        {
            BeginHeader();
            KernelConsole.Write("no implementation of ");
            Symbols.WriteTypeName(iface);
            KernelConsole.Write(" slot ");
            KernelConsole.WriteDecimal(slot);
            KernelConsole.Write(" on ");
            Symbols.WriteTypeName(type);
            KernelConsole.Write('\n');
            Finish(ReadCallerFrame());
        }

        public static void OutOfMemory(uint requested, long bytesInUse, ulong freeFrames)
        {
            BeginHeader();
            KernelConsole.Write("OutOfMemoryException: heap exhausted allocating ");
            KernelConsole.WriteUnsigned(requested);
            KernelConsole.Write(" bytes (");
            KernelConsole.WriteDecimal(bytesInUse);
            KernelConsole.Write(" bytes in use, ");
            KernelConsole.WriteUnsigned(freeFrames);
            KernelConsole.Write(" free frames)\n");
            Finish(ReadCallerFrame());
        }

        /// <summary>
        /// Starts a panic whose reason the caller writes itself (CPU faults:
        /// the arch layer prints the reason and registers), then calls <see cref="End"/>.
        /// </summary>
        public static void BeginCustom() => BeginHeader();

        /// <summary>Ends a panic begun with <see cref="BeginCustom"/>: backtrace from <paramref name="framePointer"/>, then stop.</summary>
        public static void End(nint framePointer) => Finish(framePointer);

        private static void Begin(string reason, nint framePointer)
        {
            BeginHeader();
            KernelConsole.Write(reason);
            KernelConsole.Write('\n');
            Finish(framePointer);
        }

        private static void BeginHeader()
        {
            Cpu.DisableInterrupts();
            if (System.Threading.Interlocked.Exchange(ref s_inPanic, 1) != 0)
            {
                KernelConsole.Write("\nPANIC while panicking\n");
                Stop();
            }
            KernelConsole.BreakLock();
            StopOtherCpus();
            KernelConsole.Write("\nPANIC: ");
        }

        private static void Finish(nint framePointer)
        {
            Backtrace.Write(framePointer);
            Stop();
        }

        /// <summary>Halts every other CPU so the panic report is not interleaved and nothing runs on.</summary>
        private static void StopOtherCpus()
        {
            if (!Threading.Scheduler.Started) return;
            int self = Hal.PerCpu.Current()->Index;
            for (int i = 0; i < Smp.Processors.Count; i++)
                if (i != self && Smp.Processors.Get(i)->Online != 0)
                    Smp.Interprocessor.Call(i, &HaltThisCpu, 0, false);
        }

        private static void HaltThisCpu(nint unused) => Cpu.HaltForever();

        private static nint ReadCallerFrame() => Cpu.ReadFramePointer();

        private static void Stop()
        {
            KernelConsole.Write("System halted.\n");
            if (Kernel.ExitOnPanic) Emulator.Exit(ExitStatus);
            Cpu.HaltForever();
        }
    }
}
