using Molt.Console;

namespace Molt.Diagnostics
{
    /// <summary>
    /// Walks the frame-pointer chain (every method keeps one: see the JitFramed
    /// setting in bflat.props) and prints each return address with its symbol.
    /// The walk stops at a null, misaligned or non-increasing frame pointer or
    /// after <see cref="MaxFrames"/> frames, so a corrupt stack cannot hang it.
    /// </summary>
    public static unsafe class Backtrace
    {
        public const int MaxFrames = 32;

        public static void Write(nint framePointer)
        {
            KernelConsole.Write("Backtrace:\n");
            nint fp = framePointer;
            for (int i = 0; i < MaxFrames; i++)
            {
                if (fp == 0 || (fp & 7) != 0 || !Symbols.IsKernelAddress(fp)) break;
                nint returnAddress = ((nint*)fp)[1];
                if (returnAddress == 0) break;
                KernelConsole.Write("  #");
                KernelConsole.WriteDecimal(i, 2, '0');
                KernelConsole.Write(' ');
                Symbols.WriteSymbol(returnAddress);
                KernelConsole.Write('\n');
                nint next = ((nint*)fp)[0];
                if (next <= fp) break;
                fp = next;
            }
        }

        /// <summary>Fills <paramref name="returnAddresses"/> from the chain; returns the count.</summary>
        public static int Capture(nint framePointer, nint* returnAddresses, int max)
        {
            int n = 0;
            nint fp = framePointer;
            while (n < max && fp != 0 && (fp & 7) == 0 && Symbols.IsKernelAddress(fp))
            {
                nint ra = ((nint*)fp)[1];
                if (ra == 0) break;
                returnAddresses[n++] = ra;
                nint next = ((nint*)fp)[0];
                if (next <= fp) break;
                fp = next;
            }
            return n;
        }
    }
}
