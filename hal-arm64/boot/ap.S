/*
 * Application processor entry. Two ways in, both ending in molt_ap_main(index)
 * (hal-arm64/Smp.cs) in the higher half, on the kernel's page tables, with
 * FP/SIMD on, the vectors installed, this CPU's exception stack in SP_EL1,
 * its nesting counter in TPIDR_EL0 and its kernel stack in SP_EL0.
 *
 *   molt_ap_entry         PSCI CPU_ON's entry point: physical address, MMU
 *                         off, EL1 (or EL2 on a machine with virtualization),
 *                         x0 = context id = physical address of the ApStart
 *                         block (Smp.cs). TTBR0 gets a table that identity-maps
 *                         the kernel text, so the instruction after "MMU on"
 *                         is still mapped; the code then jumps to its link
 *                         address and turns TTBR0 walks off again.
 *   molt_limine_ap_entry  Limine's goto_address: MMU on, higher half, Limine's
 *                         tables, x0 = this CPU's limine_mp_info, whose
 *                         extra_argument (offset 32) is the ApStart block
 *                         (virtual). The kernel image is mapped at the same
 *                         address in both, so TTBR1 is switched in place.
 *
 * ApStart block (all u64, mirrored by Smp.cs):
 *   0 ttbr0 (identity table), 8 ttbr1 (KernelAddressSpace.Root), 16 tcr,
 *   24 mair, 32 sctlr, 40 vbar, 48 exception stack top, 56 exception depth
 *   counter address, 64 kernel stack top, 72 CPU index.
 */
#include "el2.inc"

#define TCR_EPD0        (1 << 7)
#define CPACR_FPEN      (3 << 20)

    .text
    .global molt_ap_entry
molt_ap_entry:
    msr     daifset, #0xf
    mov     x19, x0
    mrs     x1, CurrentEL
    lsr     x1, x1, #2
    cmp     x1, #2
    b.ne    ap_at_el1
    EL2_TO_EL1 ap_at_el1

ap_at_el1:
    msr     daifset, #0xf
    /* MMU off: the block is read straight from memory (Smp.cs cleaned it to there). */
    ldp     x20, x21, [x19, #0]         /* ttbr0, ttbr1 */
    ldp     x22, x23, [x19, #16]        /* tcr, mair */
    ldp     x24, x25, [x19, #32]        /* sctlr, vbar */
    ldp     x26, x27, [x19, #48]        /* exception stack top, depth counter */
    ldr     x28, [x19, #64]             /* kernel stack top */
    ldr     x19, [x19, #72]             /* CPU index */
    msr     mair_el1, x23
    bic     x22, x22, #TCR_EPD0         /* TTBR0 walks on while the identity map is needed */
    msr     tcr_el1, x22
    msr     ttbr0_el1, x20
    msr     ttbr1_el1, x21
    isb
    tlbi    vmalle1
    dsb     nsh
    mov     x0, #CPACR_FPEN
    msr     cpacr_el1, x0
    ic      iallu
    dsb     nsh
    isb
    msr     sctlr_el1, x24
    isb
    ldr     x0, =ap_higher_half
    br      x0

ap_higher_half:
    orr     x22, x22, #TCR_EPD0         /* lower half off again: null pointers fault */
    msr     tcr_el1, x22
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    b       ap_common

    .global molt_limine_ap_entry
molt_limine_ap_entry:
    msr     daifset, #0xf
    ldr     x19, [x0, #32]              /* extra_argument: the ApStart block */
    mov     x0, #CPACR_FPEN
    msr     cpacr_el1, x0
    isb
    ldr     x1, [x19, #24]
    msr     mair_el1, x1
    ldr     x1, [x19, #16]
    msr     tcr_el1, x1
    ldr     x1, [x19, #8]
    dsb     ishst
    msr     ttbr1_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldp     x24, x25, [x19, #32]
    ldp     x26, x27, [x19, #48]
    ldr     x28, [x19, #64]
    ldr     x19, [x19, #72]

/* x25 vbar, x26 exception stack top, x27 depth counter, x28 kernel stack top, x19 index. */
ap_common:
    msr     spsel, #1
    mov     sp, x26
    msr     spsel, #0
    mov     sp, x28
    msr     tpidr_el0, x27
    msr     tpidr_el1, xzr
    msr     vbar_el1, x25
    isb
    mov     w0, w19
    stp     xzr, xzr, [sp, #-16]!       /* a zero frame record ends backtraces */
    mov     x29, sp
    mov     x30, #0
    bl      molt_ap_main
1:  msr     daifset, #0xf
    wfi
    b       1b
    .ltorg

    .global molt_ap_entry_address, molt_limine_ap_entry_address, molt_vectors_address
molt_ap_entry_address:        adrp x0, molt_ap_entry; add x0, x0, :lo12:molt_ap_entry; ret
molt_limine_ap_entry_address: adrp x0, molt_limine_ap_entry; add x0, x0, :lo12:molt_limine_ap_entry; ret
molt_vectors_address:         adrp x0, molt_vectors; add x0, x0, :lo12:molt_vectors; ret

    .section .note.GNU-stack, "", %progbits
