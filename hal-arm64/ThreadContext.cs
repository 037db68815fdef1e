using System.Runtime.InteropServices;

namespace Molt.Hal
{
    /// <summary>
    /// Thread switching on AArch64 (context.S): the callee-saved x19-x28,
    /// x29/x30 and d8-d15 on the thread's own stack (SP_EL0).
    /// </summary>
    public static unsafe partial class ThreadContext
    {
        [DllImport("*"), SuppressGCTransition] private static extern void molt_context_switch(nint* saveSp, nint resumeSp);
        [DllImport("*"), SuppressGCTransition] private static extern nint molt_thread_trampoline_address();

        private const int SavedWords = 20; // x19-x28, x29, x30, d8-d15: 160 bytes, a multiple of 16

        public static partial nint Prepare(nint stackTop, nint arg)
        {
            nint* sp = (nint*)(stackTop & ~(nint)15) - SavedWords;
            for (int i = 0; i < SavedWords; i++) sp[i] = 0;
            sp[0] = arg;                                // x19: the trampoline passes it on
            sp[11] = molt_thread_trampoline_address();  // x30: where the first switch returns
            return (nint)sp;
        }

        public static partial void Switch(nint* saveSp, nint resumeSp) => molt_context_switch(saveSp, resumeSp);
    }
}
