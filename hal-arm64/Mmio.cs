using System.Runtime.InteropServices;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// Device register access, through the one-instruction helpers in cpu.S:
    /// each is exactly one aligned load or store that the compiler can neither
    /// merge, split, reorder across a call nor hoist out of a polling loop.
    /// The AArch64 twin of hal-x64's port I/O.
    /// </summary>
    internal static class Mmio
    {
        [DllImport("*", EntryPoint = "molt_mmio_read8"), SuppressGCTransition] public static extern byte Read8(ulong address);
        [DllImport("*", EntryPoint = "molt_mmio_write8"), SuppressGCTransition] public static extern void Write8(ulong address, byte value);
        [DllImport("*", EntryPoint = "molt_mmio_read32"), SuppressGCTransition] public static extern uint Read32(ulong address);
        [DllImport("*", EntryPoint = "molt_mmio_write32"), SuppressGCTransition] public static extern void Write32(ulong address, uint value);
    }

    /// <summary>Privileged AArch64 instructions and system registers, through cpu.S.</summary>
    internal static unsafe class Native
    {
        [DllImport("*", EntryPoint = "molt_read_cntvct"), SuppressGCTransition] public static extern ulong ReadCntvct();
        [DllImport("*", EntryPoint = "molt_read_cntfrq"), SuppressGCTransition] public static extern ulong ReadCntfrq();
        [DllImport("*", EntryPoint = "molt_wfi"), SuppressGCTransition] public static extern void Wfi();
        [DllImport("*", EntryPoint = "molt_mask_irq"), SuppressGCTransition] public static extern void MaskIrq();
        [DllImport("*", EntryPoint = "molt_unmask_irq"), SuppressGCTransition] public static extern void UnmaskIrq();
        [DllImport("*", EntryPoint = "molt_yield"), SuppressGCTransition] public static extern void Yield();
        [DllImport("*", EntryPoint = "molt_read_daif"), SuppressGCTransition] public static extern ulong ReadDaif();
        [DllImport("*", EntryPoint = "molt_halt_forever"), SuppressGCTransition] public static extern void HaltForever();
        [DllImport("*", EntryPoint = "molt_read_frame_pointer"), SuppressGCTransition] public static extern nint ReadFramePointer();
        [DllImport("*", EntryPoint = "molt_read_current_el"), SuppressGCTransition] public static extern ulong ReadCurrentEl();
        [DllImport("*", EntryPoint = "molt_read_ttbr1"), SuppressGCTransition] public static extern ulong ReadTtbr1();
        [DllImport("*", EntryPoint = "molt_read_sctlr"), SuppressGCTransition] public static extern ulong ReadSctlr();
        [DllImport("*", EntryPoint = "molt_read_tcr"), SuppressGCTransition] public static extern ulong ReadTcr();
        [DllImport("*", EntryPoint = "molt_read_mair"), SuppressGCTransition] public static extern ulong ReadMair();
        /// <summary>Switches TTBR1_EL1 to <paramref name="root"/> and invalidates this CPU's TLB.</summary>
        [DllImport("*", EntryPoint = "molt_write_ttbr1"), SuppressGCTransition] public static extern void WriteTtbr1(ulong root);
        /// <summary>dsb ishst: table writes become visible to the walkers of every CPU.</summary>
        [DllImport("*", EntryPoint = "molt_store_barrier"), SuppressGCTransition] public static extern void StoreBarrier();
        [DllImport("*", EntryPoint = "molt_tlbi_va"), SuppressGCTransition] public static extern void InvalidatePage(ulong address);
        /// <summary>
        /// A semihosting call (hlt #0xf000): x0 = operation, x1 = parameter block.
        /// Returns x0, or ulong.MaxValue when the emulator has semihosting off
        /// (the hlt then traps as undefined and Interrupts.cs skips it).
        /// </summary>
        [DllImport("*", EntryPoint = "molt_semihosting_call"), SuppressGCTransition] public static extern ulong SemihostingCall(ulong operation, void* parameter);
    }
}
