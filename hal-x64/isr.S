/*
 * Interrupt and exception entry for all 256 vectors. Each stub pushes an
 * error code (0 when the CPU pushes none) and its vector number, then the
 * common path saves the general registers and calls
 * molt_interrupt(InterruptFrame*) (hal-x64/Interrupts.cs). The frame layout
 * is mirrored by the InterruptFrame struct; keep them in step.
 */
    .altmacro
    .text
.macro ISR_NOERR n
    .balign 16
isr_\n:
    push $0
    push $\n
    jmp isr_common
.endm
.macro ISR_ERR n
    .balign 16
isr_\n:
    push $\n
    jmp isr_common
.endm

/* Vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29, 30. */
.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
ISR_NOERR \n
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30
ISR_ERR \n
.endr
.set i, 32
.rept 224
ISR_NOERR %i
.set i, i + 1
.endr

isr_common:
    cld
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    mov %rsp, %rbx                 /* callee-saved: the frame */
    and $~15, %rsp
    sub $512, %rsp                 /* SSE state of the interrupted code */
    fxsave (%rsp)
    call molt_interrupt
    fxrstor (%rsp)
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                  /* vector, error code */
    iretq

/* The table of stub addresses, indexed by vector, read by Interrupts.cs. */
    .section .rodata.isr_table, "a"
    .balign 8
    .global molt_isr_table
molt_isr_table:
.macro ISR_ENTRY n
    .quad isr_\n
.endm
.set i, 0
.rept 256
ISR_ENTRY %i
.set i, i + 1
.endr

    .text
/* molt_load_gdt(gdtr*, code selector, data selector): reload every segment. */
    .global molt_load_gdt
molt_load_gdt:
    lgdt (%rdi)
    mov %edx, %eax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    pop %rax                       /* return address */
    push %rsi
    push %rax
    lretq

    .global molt_load_tss
molt_load_tss:
    ltr %di
    ret

    .global molt_load_idt
molt_load_idt:
    lidt (%rdi)
    ret

    .global molt_isr_table_address
molt_isr_table_address:
    lea molt_isr_table(%rip), %rax
    ret

    .section .note.GNU-stack, "", @progbits
