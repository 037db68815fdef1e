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
        [DllImport("*", EntryPoint = "molt_mmio_read64"), SuppressGCTransition] public static extern ulong Read64(ulong address);
        [DllImport("*", EntryPoint = "molt_mmio_write64"), SuppressGCTransition] public static extern void Write64(ulong address, ulong value);
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
        [DllImport("*", EntryPoint = "molt_tlbi_all"), SuppressGCTransition] public static extern void InvalidateAll();
        /// <summary>Waits for an interrupt with IRQs masked, then unmasks them (see cpu.S: no wake-up is lost).</summary>
        [DllImport("*", EntryPoint = "molt_wfi_then_unmask"), SuppressGCTransition] public static extern void WfiThenUnmask();
        [DllImport("*", EntryPoint = "molt_read_mpidr"), SuppressGCTransition] public static extern ulong ReadMpidr();
        [DllImport("*", EntryPoint = "molt_cntv_set"), SuppressGCTransition] public static extern void SetVirtualTimer(ulong compare, ulong control);
        [DllImport("*", EntryPoint = "molt_cntv_cval"), SuppressGCTransition] public static extern ulong ReadVirtualTimerCompare();
        [DllImport("*", EntryPoint = "molt_cntv_ctl"), SuppressGCTransition] public static extern ulong ReadVirtualTimerControl();
        [DllImport("*", EntryPoint = "molt_psci_hvc"), SuppressGCTransition] public static extern long PsciHvc(ulong function, ulong a1, ulong a2, ulong a3);
        [DllImport("*", EntryPoint = "molt_psci_smc"), SuppressGCTransition] public static extern long PsciSmc(ulong function, ulong a1, ulong a2, ulong a3);
        [DllImport("*", EntryPoint = "molt_icc_read_iar1"), SuppressGCTransition] public static extern ulong IccReadIar1();
        [DllImport("*", EntryPoint = "molt_icc_write_eoir1"), SuppressGCTransition] public static extern void IccWriteEoir1(ulong intid);
        /// <summary>Sends an SGI (ICC_SGI1R_EL1), after a dsb ishst so earlier stores reach the target first.</summary>
        [DllImport("*", EntryPoint = "molt_icc_write_sgi1r"), SuppressGCTransition] public static extern void IccWriteSgi1r(ulong value);
        /// <summary>Enables the GICv3 system register interface on this CPU; false if it stays off.</summary>
        [DllImport("*", EntryPoint = "molt_icc_init"), SuppressGCTransition] public static extern bool IccInitialize();
        /// <summary>Cleans [address, address+size) from the data cache to memory, for readers with their MMU off.</summary>
        [DllImport("*", EntryPoint = "molt_dcache_clean"), SuppressGCTransition] public static extern void CleanDataCache(void* address, ulong size);
        /// <summary>
        /// A semihosting call (hlt #0xf000): x0 = operation, x1 = parameter block.
        /// Returns x0, or ulong.MaxValue when the emulator has semihosting off
        /// (the hlt then traps as undefined and Interrupts.cs skips it).
        /// </summary>
        [DllImport("*", EntryPoint = "molt_semihosting_call"), SuppressGCTransition] public static extern ulong SemihostingCall(ulong operation, void* parameter);
    }
}
