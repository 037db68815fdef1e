/*
 * Runtime stubs whose register conventions C# cannot state.
 *
 * RhpInitialDynamicInterfaceDispatch: every interface call site calls
 * through its dispatch cell; x11 holds the cell, x0 the object. Save the
 * argument registers (x0-x8, q0-q7), ask molt_resolve_interface(obj, cell)
 * for the target, restore them and tail-jump to it. x8 is the indirect
 * result register (struct returns), so it is an argument here too.
 */
    .text
    .global RhpInitialDynamicInterfaceDispatch
RhpInitialDynamicInterfaceDispatch:
    stp x29, x30, [sp, #-240]!
    mov x29, sp
    stp x0, x1, [sp, #16]
    stp x2, x3, [sp, #32]
    stp x4, x5, [sp, #48]
    stp x6, x7, [sp, #64]
    str x8, [sp, #80]
    stp q0, q1, [sp, #96]
    stp q2, q3, [sp, #128]
    stp q4, q5, [sp, #160]
    stp q6, q7, [sp, #192]
    mov x1, x11
    bl molt_resolve_interface
    mov x16, x0
    ldp q6, q7, [sp, #192]
    ldp q4, q5, [sp, #160]
    ldp q2, q3, [sp, #128]
    ldp q0, q1, [sp, #96]
    ldr x8, [sp, #80]
    ldp x6, x7, [sp, #64]
    ldp x4, x5, [sp, #48]
    ldp x2, x3, [sp, #32]
    ldp x0, x1, [sp, #16]
    ldp x29, x30, [sp], #240
    br x16

/*
 * molt_dispatch_cached: the stub a resolved dispatch cell points at (see
 * hal-x64/runtime.S). x11 = cell, x0 = object. The entry is published with
 * a release store of the cache word before the stub word, so the loads here
 * see a complete entry (they depend on the cache word's value).
 */
    .global molt_dispatch_cached
molt_dispatch_cached:
    ldr x16, [x11, #8]
    ldr x17, [x0]
    ldr x9, [x16]
    cmp x9, x17
    b.ne 1f
    ldr x16, [x16, #8]
    br x16
1:  b RhpInitialDynamicInterfaceDispatch

    .global molt_dispatch_cached_address
molt_dispatch_cached_address:
    adr x0, molt_dispatch_cached
    ret

/*
 * Write barriers. Molt has no GC, so a barrier is just the store; the
 * register conventions are ilc's.
 *   RhpAssignRefArm64, RhpCheckedAssignRefArm64: x14 = destination,
 *     x15 = reference; x14 advances by 8. Only x14 (and x16/x17) may change.
 *   RhpByRefAssignRefArm64: copies [x13] to [x14], both advance by 8;
 *     x15 is scratch.
 *   RhpAssignRef, RhpCheckedAssignRef: the plain C convention, x0 = destination, x1 = reference.
 */
    .global RhpAssignRefArm64, RhpCheckedAssignRefArm64, RhpByRefAssignRefArm64
    .global RhpAssignRef, RhpCheckedAssignRef
RhpAssignRefArm64:
RhpCheckedAssignRefArm64:
    str x15, [x14], #8
    ret
RhpByRefAssignRefArm64:
    ldr x15, [x13], #8
    str x15, [x14], #8
    ret
RhpAssignRef:
RhpCheckedAssignRef:
    str x1, [x0]
    ret

/* Data symbols ilc-generated code expects. */
    .data
    .balign 8
    .global RhpTrapThreads
RhpTrapThreads: .long 0
    .balign 8
    .global __security_cookie
__security_cookie: .quad 0x2B992DDFA232A5B1

    .section .note.GNU-stack, "", %progbits
