/* Small AArch64 instructions C# cannot express; each is called directly (DllImport "*"). */
    .text
    .global molt_mmio_read8, molt_mmio_write8, molt_mmio_read32, molt_mmio_write32, molt_mmio_read64, molt_mmio_write64
molt_mmio_read8:   ldrb w0, [x0]; ret
molt_mmio_write8:  strb w1, [x0]; ret
molt_mmio_read32:  ldr w0, [x0]; ret
molt_mmio_write32: str w1, [x0]; ret
molt_mmio_read64:  ldr x0, [x0]; ret
molt_mmio_write64: str x1, [x0]; ret

    /* The isb keeps the counter read from being hoisted above earlier instructions. */
    .global molt_read_cntvct, molt_read_cntfrq
molt_read_cntvct: isb; mrs x0, cntvct_el0; ret
molt_read_cntfrq: mrs x0, cntfrq_el0; ret

    .global molt_wfi, molt_mask_irq, molt_unmask_irq, molt_yield, molt_read_daif, molt_halt_forever
molt_wfi:        wfi; ret

    /*
     * molt_wfi_then_unmask: called with IRQs masked, after the caller has
     * checked that there is nothing to do. WFI wakes on a pending IRQ even
     * while PSTATE.I masks it (ARM ARM, "Wait for Interrupt"), so an
     * interrupt that arrived after the check is not lost: either it is
     * already pending and wfi falls through at once, or it wakes the wfi.
     * Unmasking then takes it; the isb makes that happen here, before the
     * return, rather than "eventually". The dsb completes earlier memory
     * accesses before the core sleeps (as Linux's cpu_do_idle does).
     */
    .global molt_wfi_then_unmask
molt_wfi_then_unmask:
    dsb sy
    wfi
    msr daifclr, #2
    isb
    ret
molt_mask_irq:   msr daifset, #2; ret
molt_unmask_irq: msr daifclr, #2; ret
molt_yield:      yield; ret
molt_read_daif:  mrs x0, daif; ret
molt_halt_forever:
    msr daifset, #0xf
1:  wfi
    b 1b

    /* The caller's frame pointer: x29 is untouched by this leaf. */
    .global molt_read_frame_pointer
molt_read_frame_pointer: mov x0, x29; ret

    .global molt_read_current_el, molt_read_ttbr1, molt_read_sctlr, molt_read_tcr, molt_read_mair
molt_read_current_el: mrs x0, CurrentEL; lsr x0, x0, #2; ret
molt_read_ttbr1: mrs x0, ttbr1_el1; ret
molt_read_sctlr: mrs x0, sctlr_el1; ret
molt_read_tcr:   mrs x0, tcr_el1; ret
molt_read_mair:  mrs x0, mair_el1; ret

    /* Table writes visible to every CPU's walker, then resynchronize this CPU's context. */
    .global molt_store_barrier
molt_store_barrier: dsb ishst; isb; ret

    /* molt_write_ttbr1(root): table writes first, then the switch, then a full TLB flush. */
    .global molt_write_ttbr1
molt_write_ttbr1:
    dsb ishst
    msr ttbr1_el1, x0
    isb
    tlbi vmalle1
    dsb nsh
    isb
    ret

    /* molt_tlbi_va(address): drop one page's translation on this CPU (any ASID). */
    .global molt_tlbi_va
molt_tlbi_va:
    dsb ishst
    ubfx x0, x0, #12, #44               /* the operand is VA[55:12]; bits 63:44 are RES0 */
    tlbi vaae1, x0
    dsb nsh
    isb
    ret

    /*
     * molt_semihosting_call(op, block): x0 = op, x1 = block, result in x0.
     * Without -semihosting, the hlt is undefined; hal-arm64/Interrupts.cs
     * recognizes molt_semihosting_hlt, sets x0 = -1 and resumes after it.
     */
    /* molt_tlbi_all: drop every EL1 translation this CPU cached. */
    .global molt_tlbi_all
molt_tlbi_all:
    dsb ishst
    tlbi vmalle1
    dsb nsh
    isb
    ret

    /* Per-CPU base: TPIDR_EL1 holds the CpuLocal*, whose first word is itself. */
    .global molt_percpu_install, molt_percpu_current
molt_percpu_install: msr tpidr_el1, x0; ret
molt_percpu_current: mrs x0, tpidr_el1; ret

    .global molt_read_mpidr
molt_read_mpidr: mrs x0, mpidr_el1; ret

    /* GICv3 CPU interface (system registers, ICC_*_EL1). */
    .global molt_icc_read_iar1, molt_icc_write_eoir1, molt_icc_write_sgi1r, molt_icc_init
molt_icc_read_iar1:
    mrs x0, S3_0_C12_C12_0              /* ICC_IAR1_EL1: acknowledges */
    dsb sy                              /* as Linux: the read completes before the handler's accesses */
    ret
molt_icc_write_eoir1:
    msr S3_0_C12_C12_1, x0              /* ICC_EOIR1_EL1: priority drop and deactivate (EOImode 0) */
    isb
    ret
molt_icc_write_sgi1r:
    dsb ishst                           /* stores before the IPI are visible to its target */
    msr S3_0_C12_C11_5, x0              /* ICC_SGI1R_EL1 */
    isb
    ret
    /* Returns 0 if the system register interface could not be enabled. */
molt_icc_init:
    mrs x0, S3_0_C12_C12_5              /* ICC_SRE_EL1 */
    orr x0, x0, #1                      /* SRE */
    msr S3_0_C12_C12_5, x0
    isb
    mrs x0, S3_0_C12_C12_5
    tbz x0, #0, 1f
    mov x1, #0xf0
    msr S3_0_C4_C6_0, x1                /* ICC_PMR_EL1: every priority above 0xf0 */
    msr S3_0_C12_C12_3, xzr             /* ICC_BPR1_EL1: no subpriority bits */
    msr S3_0_C12_C12_4, xzr             /* ICC_CTLR_EL1: EOImode 0 */
    mov x1, #1
    msr S3_0_C12_C12_7, x1              /* ICC_IGRPEN1_EL1: group 1 on */
    isb
    mov x0, #1
    ret
1:  mov x0, #0
    ret

    /* The EL1 virtual timer. */
    .global molt_cntv_set, molt_cntv_cval, molt_cntv_ctl
    /* molt_cntv_set(cval, ctl): compare value first, then control. */
molt_cntv_set:
    msr cntv_cval_el0, x0
    msr cntv_ctl_el0, x1
    isb
    ret
molt_cntv_cval: mrs x0, cntv_cval_el0; ret
molt_cntv_ctl:  mrs x0, cntv_ctl_el0; ret

    /* PSCI calls (SMC Calling Convention): x0 function, x1-x3 arguments, x0 result. */
    .global molt_psci_hvc, molt_psci_smc
molt_psci_hvc: hvc #0; ret
molt_psci_smc: smc #0; ret

    /* molt_dcache_clean(address, size): write cached lines back to memory (to the point of coherency). */
    .global molt_dcache_clean
molt_dcache_clean:
    mrs x2, ctr_el0
    ubfx x2, x2, #16, #4
    mov x3, #4
    lsl x3, x3, x2                      /* line size */
    sub x4, x3, #1
    add x1, x0, x1
    bic x0, x0, x4
1:  dc cvac, x0
    add x0, x0, x3
    cmp x0, x1
    b.lo 1b
    dsb sy
    ret

    .global molt_semihosting_call, molt_semihosting_hlt
molt_semihosting_call:
molt_semihosting_hlt:
    hlt #0xf000
    ret

    .global molt_semihosting_hlt_address
molt_semihosting_hlt_address: adr x0, molt_semihosting_hlt; ret

    /* Layout accessors (kernel/Hal/Layout.cs); symbols come from linker.ld. */
    .global molt_layout_kernel_start, molt_layout_kernel_end, molt_layout_text_end
    .global molt_layout_rodata_end, molt_layout_data_end, molt_layout_symbol_table, molt_layout_rtr_header
molt_layout_kernel_start: ldr x0, =__kernel_start; ret
molt_layout_kernel_end:   ldr x0, =__kernel_end; ret
molt_layout_text_end:     ldr x0, =__text_end; ret
molt_layout_rodata_end:   ldr x0, =__rodata_end; ret
molt_layout_data_end:     ldr x0, =__data_end; ret
molt_layout_symbol_table: ldr x0, =__ksyms_start; ret
/* The module list holds a pointer to the ReadyToRun header, whatever ilc named it (multifile prefixes it). */
molt_layout_rtr_header:   ldr x0, =__modules_a; ldr x0, [x0]; ret
    .ltorg

    .section .note.GNU-stack, "", %progbits
