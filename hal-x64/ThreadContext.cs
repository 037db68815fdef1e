using System.Runtime.InteropServices;

namespace Molt.Hal
{
    public static unsafe partial class ThreadContext
    {
        [DllImport("*"), SuppressGCTransition] private static extern void molt_context_switch(nint* saveSp, nint resumeSp);
        [DllImport("*"), SuppressGCTransition] private static extern nint molt_thread_trampoline_address();

        public static partial nint Prepare(nint stackTop, nint arg)
        {
            // Stack top is 16-aligned; the trampoline's push keeps calls aligned.
            nint* sp = (nint*)(stackTop & ~(nint)15);
            *--sp = 0;                                // padding
            *--sp = molt_thread_trampoline_address(); // return address of the first switch
            *--sp = 0;   // rbp
            *--sp = 0;   // rbx
            *--sp = arg; // r12
            *--sp = 0;   // r13
            *--sp = 0;   // r14
            *--sp = 0;   // r15
            return (nint)sp;
        }

        public static partial void Switch(nint* saveSp, nint resumeSp) => molt_context_switch(saveSp, resumeSp);
    }
}
