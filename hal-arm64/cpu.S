/* Small AArch64 instructions C# cannot express; each is called directly (DllImport "*"). */
    .text
    .global molt_mmio_read8, molt_mmio_write8, molt_mmio_read32, molt_mmio_write32
molt_mmio_read8:   ldrb w0, [x0]; ret
molt_mmio_write8:  strb w1, [x0]; ret
molt_mmio_read32:  ldr w0, [x0]; ret
molt_mmio_write32: str w1, [x0]; ret

    /* The isb keeps the counter read from being hoisted above earlier instructions. */
    .global molt_read_cntvct, molt_read_cntfrq
molt_read_cntvct: isb; mrs x0, cntvct_el0; ret
molt_read_cntfrq: mrs x0, cntfrq_el0; ret

    .global molt_wfi, molt_mask_irq, molt_unmask_irq, molt_yield, molt_read_daif, molt_halt_forever
molt_wfi:        wfi; ret
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

    .global molt_store_barrier
molt_store_barrier: dsb ishst; ret

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

    /* molt_tlbi_va(address): drop one page's translation on this CPU. */
    .global molt_tlbi_va
molt_tlbi_va:
    dsb ishst
    lsr x0, x0, #12
    tlbi vaae1, x0
    dsb nsh
    isb
    ret

    /*
     * molt_semihosting_call(op, block): x0 = op, x1 = block, result in x0.
     * Without -semihosting, the hlt is undefined; hal-arm64/Interrupts.cs
     * recognizes molt_semihosting_hlt, sets x0 = -1 and resumes after it.
     */
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
molt_layout_rtr_header:   ldr x0, =__ReadyToRunHeader; ret
    .ltorg

    .section .note.GNU-stack, "", %progbits
