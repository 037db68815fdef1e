/*
 * molt_context_switch(nint* save_sp, nint resume_sp): store the callee-saved
 * registers (AAPCS64: x19-x28, the frame record x29/x30, and the low 64 bits
 * of v8-v15, i.e. d8-d15) on the current stack, store sp in *save_sp, load
 * resume_sp and restore the other thread's registers, returning into it.
 *
 * "sp" here is always SP_EL0: kernel threads run with SPSel = 0, and the IRQ
 * path (vectors.S) moves to SPSel = 0 before it calls C#, so a switch inside
 * an interrupt handler saves and loads thread stacks too, never SP_EL1.
 *
 * The stores of the outgoing registers need no barrier here: the scheduler
 * publishes "this stack is free" with a release store of Thread.OnCpu
 * (a volatile field) after the switch, and the next CPU to resume the thread
 * reads OnCpu with an acquire load before it loads these registers.
 *
 * A new thread's stack (ThreadContext.Prepare) holds zeroed registers with
 * x19 = the thread's address and x30 = molt_thread_trampoline.
 */
#define CTX_SIZE 160

    .text
    .global molt_context_switch
molt_context_switch:
    sub     sp, sp, #CTX_SIZE
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mov     x9, sp
    str     x9, [x0]
    mov     sp, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #CTX_SIZE
    ret

/* A new thread's first switch returns here: molt_thread_start(x19). */
    .global molt_thread_trampoline
molt_thread_trampoline:
    mov     x0, x19
    stp     xzr, xzr, [sp, #-16]!       /* a zero frame record ends backtraces */
    mov     x29, sp
    bl      molt_thread_start
1:  msr     daifset, #0xf
    wfi
    b       1b

    .global molt_thread_trampoline_address
molt_thread_trampoline_address:
    adr     x0, molt_thread_trampoline
    ret

    .section .note.GNU-stack, "", %progbits
