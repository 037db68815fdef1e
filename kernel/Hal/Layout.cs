using System.Runtime.InteropServices;

namespace Molt.Hal
{
    /// <summary>
    /// Where the linker put the kernel's parts. Each arch's linker script
    /// defines the boundary symbols and its boot assembly exports these
    /// accessors (molt_layout_*), so the names are the same on every arch.
    /// </summary>
    public static unsafe class Layout
    {
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_kernel_start();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_kernel_end();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_text_end();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_rodata_end();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_data_end();
        [DllImport("*"), SuppressGCTransition] private static extern void* molt_layout_symbol_table();
        [DllImport("*"), SuppressGCTransition] private static extern void* molt_layout_rtr_header();

        /// <summary>First byte of the kernel image (text starts here).</summary>
        public static ulong KernelStart => molt_layout_kernel_start();
        /// <summary>End of text; read-only data starts here.</summary>
        public static ulong TextEnd => molt_layout_text_end();
        /// <summary>End of read-only data (including the symbol table); writable data starts here.</summary>
        public static ulong RodataEnd => molt_layout_rodata_end();
        /// <summary>End of writable data and .bss.</summary>
        public static ulong DataEnd => molt_layout_data_end();
        public static ulong KernelEnd => molt_layout_kernel_end();
        public static void* SymbolTable => molt_layout_symbol_table();
        public static void* ReadyToRunHeader => molt_layout_rtr_header();
    }
}
