/*
 * Code-memory maintenance for the runtime linker (hal-arm64/PageTablesUnmap.cs).
 */
    .text

    /* molt_sync_icache(start, size): make new instructions visible to instruction fetch. */
    .global molt_sync_icache
molt_sync_icache:
    add x1, x0, x1                      /* end */
    mrs x2, ctr_el0
    ubfx x3, x2, #16, #4                /* DminLine: log2(words) */
    mov x4, #4
    lsl x3, x4, x3                      /* data line bytes */
    sub x5, x3, #1
    bic x6, x0, x5
1:  dc cvau, x6
    add x6, x6, x3
    cmp x6, x1
    b.lo 1b
    dsb ish
    and x3, x2, #0xf                    /* IminLine */
    lsl x3, x4, x3                      /* instruction line bytes */
    sub x5, x3, #1
    bic x6, x0, x5
2:  ic ivau, x6
    add x6, x6, x3
    cmp x6, x1
    b.lo 2b
    dsb ish
    isb
    ret

    /* molt_store_barrier_ish: page-table stores complete before later translations use them. */
    .global molt_store_barrier_ish
molt_store_barrier_ish:
    dsb ishst
    ret

    .section .note.GNU-stack, "", %progbits
