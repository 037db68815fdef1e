/*
 * molt_context_switch(nint* save_sp, nint resume_sp): push the callee-saved
 * registers (rbp, rbx, r12-r15), store rsp, load the other thread's rsp,
 * pop its registers and return into it.
 * A new thread's stack (ThreadContext.Prepare) holds six zeroed registers
 * with r12 = arg, then molt_thread_trampoline as the return address.
 */
    .text
    .global molt_context_switch
molt_context_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .global molt_thread_trampoline
molt_thread_trampoline:
    mov %r12, %rdi
    xor %ebp, %ebp
    push $0                      /* ends backtraces; keeps rsp 16-aligned at the call */
    call molt_thread_start
1:  cli
    hlt
    jmp 1b

    .global molt_thread_trampoline_address
molt_thread_trampoline_address:
    lea molt_thread_trampoline(%rip), %rax
    ret

    .section .note.GNU-stack, "", @progbits
