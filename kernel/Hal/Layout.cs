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
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_boot_stack_guard();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_layout_exception_stack_guard();

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

        /// <summary>The page below the boot stack in .bss (boot/entry.S), which the kernel's page tables leave unmapped.</summary>
        public static ulong BootStackGuard => molt_layout_boot_stack_guard();
        /// <summary>The boot stack's size, as boot/entry.S reserves it above <see cref="BootStackGuard"/>.</summary>
        public const ulong BootStackSize = 65536;
        /// <summary>The page below the boot CPU's exception stack in .bss (arm64's SP_EL1), or 0 when the arch has none there.</summary>
        public static ulong ExceptionStackGuard => molt_layout_exception_stack_guard();
        /// <summary>That exception stack's size.</summary>
        public const ulong ExceptionStackSize = 16384;
    }
}
