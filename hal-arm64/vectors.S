/*
 * The exception vector table (VBAR_EL1): 16 entries of 0x80 bytes, in four
 * groups (current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64,
 * lower EL AArch32), each sync, IRQ, FIQ, SError. Kernel code runs on
 * SP_EL0, so its exceptions arrive in the first group.
 *
 * Two paths (docs/arm64.md, "Exceptions and interrupts", has the steps):
 *
 *   IRQ from kernel code (EL1t): irq_common. The vector switches to
 *     SPSel = 0 and saves the full state on the interrupted thread's own
 *     stack, then calls molt_interrupt (hal-arm64/Interrupts.cs) there. The
 *     handler may switch threads (preemption); the frame stays on the
 *     preempted thread's stack until that thread is resumed, on whichever
 *     CPU, and returns through here with eret. ELR and SPSR come back from
 *     the frame, since other exceptions on this CPU overwrote the registers.
 *
 *   Everything else (synchronous exceptions, FIQ, SError, and anything
 *     taken while on SP_EL1): exception_common, on this CPU's exception
 *     stack in SP_EL1, the AArch64 counterpart of an x86-64 IST stack: a
 *     fault on a broken kernel stack still gets reported. It calls
 *     molt_exception. These never switch threads. A per-CPU nesting counter
 *     (the word TPIDR_EL0 points at) stops a fault loop: at depth 3 the CPU
 *     exits the emulator (status 3) or halts.
 *
 * The frame is an ExceptionFrame (hal-arm64/Interrupts.cs mirrors the
 * layout; keep them in step): x0-x30, the interrupted SP, ELR, SPSR, ESR,
 * FAR, kind, q0-q31, FPSR, FPCR, then a frame record {x29, ELR} so that
 * backtraces walk through the interrupted function into its callers.
 */
#define FRAME_GPRS      0           /* x0-x30: 31 * 8 */
#define FRAME_SP        248
#define FRAME_ELR       256
#define FRAME_SPSR      264
#define FRAME_ESR       272
#define FRAME_FAR       280
#define FRAME_KIND      288
#define FRAME_FP        304         /* q0-q31, then fpsr, fpcr */
#define FRAME_RECORD    (FRAME_FP + 32 * 16 + 16)
#define FRAME_SIZE      (FRAME_RECORD + 16)

    .text
.macro VECTOR kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       exception_common
.endm

/* An IRQ in kernel code: continue on the interrupted thread's stack (SP_EL0). */
.macro IRQ_VECTOR kind
    .balign 0x80
    msr     spsel, #0
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       irq_common
.endm

.macro SAVE_GPRS
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
.endm

.macro RESTORE_GPRS
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
.endm

.macro SAVE_FP
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
.endm

.macro RESTORE_FP
    add     x6, sp, #(FRAME_FP + 512)
    ldp     x7, x8, [x6]
    msr     fpsr, x7
    msr     fpcr, x8
    sub     x6, x6, #512
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
.endm

    .balign 2048
    .global molt_vectors
molt_vectors:
    VECTOR 0            /* EL1t sync */
    IRQ_VECTOR 1        /* EL1t IRQ: the interrupt path */
    VECTOR 2            /* EL1t FIQ */
    VECTOR 3            /* EL1t SError */
    VECTOR 4            /* EL1h: inside an exception handler */
    VECTOR 5
    VECTOR 6
    VECTOR 7
    VECTOR 8            /* lower EL: nothing runs there */
    VECTOR 9
    VECTOR 10
    VECTOR 11
    VECTOR 12
    VECTOR 13
    VECTOR 14
    VECTOR 15

/* ---- IRQs from kernel code, on the interrupted thread's stack ---- */
irq_common:
    SAVE_GPRS
    add     x1, sp, #FRAME_SIZE         /* the interrupted SP_EL0 */
    mrs     x2, elr_el1
    stp     x1, x2, [sp, #FRAME_SP]
    mrs     x3, spsr_el1
    stp     x3, xzr, [sp, #FRAME_SPSR]  /* ESR means nothing for an IRQ */
    stp     xzr, x0, [sp, #FRAME_FAR]
    SAVE_FP
    add     x9, sp, #FRAME_RECORD
    stp     x29, x2, [x9]
    mov     x29, x9
    mov     x0, sp
    bl      molt_interrupt              /* may switch threads and come back much later, on another CPU */
    RESTORE_FP
    ldr     x2, [sp, #FRAME_ELR]
    msr     elr_el1, x2
    ldr     x3, [sp, #FRAME_SPSR]
    msr     spsr_el1, x3
    RESTORE_GPRS
    add     sp, sp, #FRAME_SIZE
    eret

/* ---- Everything else, on this CPU's exception stack (SP_EL1) ---- */
exception_common:
    SAVE_GPRS
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
    SAVE_FP
    add     x9, sp, #FRAME_RECORD
    stp     x29, x2, [x9]

    /* Nesting guard: TPIDR_EL0 points at this CPU's counter. */
    mrs     x9, tpidr_el0
    ldr     w10, [x9]
    add     w10, w10, #1
    str     w10, [x9]
    cmp     w10, #3
    b.hs    exception_loop

    mov     x0, sp
    bl      molt_exception

    mrs     x9, tpidr_el0
    ldr     w10, [x9]
    sub     w10, w10, #1
    str     w10, [x9]

    RESTORE_FP
    ldp     x1, x2, [sp, #FRAME_SP]
    ldr     x0, [sp, #FRAME_KIND]
    and     x0, x0, #0xc
    cmp     x0, #4
    b.eq    1f
    msr     sp_el0, x1                  /* the handler may have moved the interrupted stack */
1:  msr     elr_el1, x2
    ldr     x3, [sp, #FRAME_SPSR]
    msr     spsr_el1, x3
    RESTORE_GPRS
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

    .section .note.GNU-stack, "", %progbits
