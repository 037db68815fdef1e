/*
 * Runtime stubs whose register conventions C# cannot state.
 *
 * RhpInitialDynamicInterfaceDispatch: every interface call site calls
 * through its dispatch cell; r11 holds the cell, rdi the object. Save the
 * argument registers (rdi-r9, xmm0-7), ask molt_resolve_interface(obj, cell)
 * for the target, restore them and tail-jump to it.
 */
    .text
    .global RhpInitialDynamicInterfaceDispatch
RhpInitialDynamicInterfaceDispatch:
    push %rbp
    mov %rsp, %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %r8
    push %r9
    sub $(8 * 16 + 16), %rsp       /* xmm0-7, keeps rsp 16-aligned */
    movdqu %xmm0, 0x00(%rsp)
    movdqu %xmm1, 0x10(%rsp)
    movdqu %xmm2, 0x20(%rsp)
    movdqu %xmm3, 0x30(%rsp)
    movdqu %xmm4, 0x40(%rsp)
    movdqu %xmm5, 0x50(%rsp)
    movdqu %xmm6, 0x60(%rsp)
    movdqu %xmm7, 0x70(%rsp)
    mov %r11, %rsi
    call molt_resolve_interface
    mov %rax, %r11
    movdqu 0x00(%rsp), %xmm0
    movdqu 0x10(%rsp), %xmm1
    movdqu 0x20(%rsp), %xmm2
    movdqu 0x30(%rsp), %xmm3
    movdqu 0x40(%rsp), %xmm4
    movdqu 0x50(%rsp), %xmm5
    movdqu 0x60(%rsp), %xmm6
    movdqu 0x70(%rsp), %xmm7
    add $(8 * 16 + 16), %rsp
    pop %r9
    pop %r8
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rbp
    jmp *%r11

/*
 * molt_dispatch_cached: the stub a dispatch cell points at once resolved
 * (kernel/runtime/Internal/InterfaceDispatch.cs). The cell's cache word then
 * points at an entry {type, target, interface, slot}: if the object's
 * MethodTable is the cached type, jump straight to the target; otherwise
 * resolve through the slow path. A null object faults on the first load,
 * which the fault handler reports as a NullReferenceException.
 */
    .global molt_dispatch_cached
molt_dispatch_cached:
    mov 8(%r11), %rax
    mov (%rdi), %r10
    cmp (%rax), %r10
    jne 1f
    jmp *8(%rax)
1:  jmp RhpInitialDynamicInterfaceDispatch

    .global molt_dispatch_cached_address
molt_dispatch_cached_address:
    lea molt_dispatch_cached(%rip), %rax
    ret

/*
 * Write barriers. Molt has no GC, so a barrier is just the store; the
 * register conventions are ilc's: rdi = destination, rsi = reference.
 * RhpByRefAssignRef copies [rsi] to [rdi] and advances both by 8.
 */
    .global RhpAssignRef, RhpCheckedAssignRef, RhpByRefAssignRef
RhpAssignRef:
RhpCheckedAssignRef:
    mov %rsi, (%rdi)
    ret
RhpByRefAssignRef:
    movsq
    ret

/* Data symbols ilc-generated code expects. */
    .data
    .balign 8
    .global RhpTrapThreads
RhpTrapThreads: .long 0
    .balign 8
    .global __security_cookie
__security_cookie: .quad 0x2B992DDFA232A5B1

    .section .note.GNU-stack, "", @progbits
