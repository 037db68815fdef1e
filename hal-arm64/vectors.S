/*
 * The exception vector table (VBAR_EL1): 16 entries of 0x80 bytes, in four
 * groups (current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64,
 * lower EL AArch32), each sync, IRQ, FIQ, SError. Kernel code runs on
 * SP_EL0, so its exceptions arrive in the first group and are handled on
 * the separate exception stack in SP_EL1; an exception inside the handler
 * arrives in the second group on the same stack.
 *
 * Every entry saves the full register state into an ExceptionFrame
 * (hal-arm64/Interrupts.cs mirrors the layout; keep them in step), calls
 * molt_exception(frame), restores the state (the handler may change ELR
 * and the registers) and returns with eret. A nesting counter stops a
 * fault loop: at depth 3 the CPU exits the emulator (status 3) or halts.
 */
#define FRAME_GPRS      0           /* x0-x30: 31 * 8 */
#define FRAME_SP        248
#define FRAME_ELR       256
#define FRAME_SPSR      264
#define FRAME_ESR       272
#define FRAME_FAR       280
#define FRAME_KIND      288
#define FRAME_FP        304         /* q0-q31, then fpsr, fpcr */
#define FRAME_SIZE      (FRAME_FP + 32 * 16 + 16)

    .text
.macro VECTOR kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       exception_common
.endm

    .balign 2048
    .global molt_vectors
molt_vectors:
    VECTOR 0
    VECTOR 1
    VECTOR 2
    VECTOR 3
    VECTOR 4
    VECTOR 5
    VECTOR 6
    VECTOR 7
    VECTOR 8
    VECTOR 9
    VECTOR 10
    VECTOR 11
    VECTOR 12
    VECTOR 13
    VECTOR 14
    VECTOR 15

exception_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    /* The interrupted stack: SP_EL0, or for the SP_ELx group this stack above the frame. */
    mrs     x1, sp_el0
    and     x2, x0, #0xc
    cmp     x2, #4
    add     x3, sp, #FRAME_SIZE
    csel    x1, x3, x1, eq
    mrs     x2, elr_el1
    stp     x1, x2, [sp, #FRAME_SP]
    mrs     x3, spsr_el1
    mrs     x4, esr_el1
    stp     x3, x4, [sp, #FRAME_SPSR]
    mrs     x5, far_el1
    stp     x5, x0, [sp, #FRAME_FAR]
    add     x6, sp, #FRAME_FP
    stp     q0, q1, [x6, #0]
    stp     q2, q3, [x6, #32]
    stp     q4, q5, [x6, #64]
    stp     q6, q7, [x6, #96]
    stp     q8, q9, [x6, #128]
    stp     q10, q11, [x6, #160]
    stp     q12, q13, [x6, #192]
    stp     q14, q15, [x6, #224]
    stp     q16, q17, [x6, #256]
    stp     q18, q19, [x6, #288]
    stp     q20, q21, [x6, #320]
    stp     q22, q23, [x6, #352]
    stp     q24, q25, [x6, #384]
    stp     q26, q27, [x6, #416]
    stp     q28, q29, [x6, #448]
    stp     q30, q31, [x6, #480]
    mrs     x7, fpsr
    mrs     x8, fpcr
    add     x6, x6, #512
    stp     x7, x8, [x6]

    /* Nesting guard. */
    adrp    x9, exception_depth
    add     x9, x9, :lo12:exception_depth
    ldr     w10, [x9]
    add     w10, w10, #1
    str     w10, [x9]
    cmp     w10, #3
    b.hs    exception_loop

    mov     x0, sp
    bl      molt_exception

    adrp    x9, exception_depth
    add     x9, x9, :lo12:exception_depth
    ldr     w10, [x9]
    sub     w10, w10, #1
    str     w10, [x9]

    add     x6, sp, #(FRAME_FP + 512)
    ldp     x7, x8, [x6]
    sub     x6, x6, #512
    msr     fpsr, x7
    msr     fpcr, x8
    ldp     q0, q1, [x6, #0]
    ldp     q2, q3, [x6, #32]
    ldp     q4, q5, [x6, #64]
    ldp     q6, q7, [x6, #96]
    ldp     q8, q9, [x6, #128]
    ldp     q10, q11, [x6, #160]
    ldp     q12, q13, [x6, #192]
    ldp     q14, q15, [x6, #224]
    ldp     q16, q17, [x6, #256]
    ldp     q18, q19, [x6, #288]
    ldp     q20, q21, [x6, #320]
    ldp     q22, q23, [x6, #352]
    ldp     q24, q25, [x6, #384]
    ldp     q26, q27, [x6, #416]
    ldp     q28, q29, [x6, #448]
    ldp     q30, q31, [x6, #480]
    ldp     x1, x2, [sp, #FRAME_SP]
    ldr     x0, [sp, #FRAME_KIND]
    and     x0, x0, #0xc
    cmp     x0, #4
    b.eq    1f
    msr     sp_el0, x1                  /* the handler may have moved the interrupted stack */
1:  msr     elr_el1, x2
    ldr     x3, [sp, #FRAME_SPSR]
    msr     spsr_el1, x3
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret

/* Faulting inside the fault handler, again: no more C#. */
exception_loop:
    cmp     w10, #3
    b.ne    2f
    sub     sp, sp, #16
    mov     x0, #0x20000
    movk    x0, #0x26                   /* ADP_Stopped_ApplicationExit */
    mov     x1, #3
    stp     x0, x1, [sp]
    mov     x1, sp
    mov     x0, #0x18                   /* SYS_EXIT */
    hlt     #0xf000                     /* without semihosting this faults once more: depth 4 */
2:  msr     daifset, #0xf
    wfi
    b       2b

    .bss
    .balign 4
exception_depth: .long 0

    .section .note.GNU-stack, "", %progbits
