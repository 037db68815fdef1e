/*
 * Application-processor start-up code, copied by Smp.cs to physical
 * TRAMPOLINE_BASE (0x8000) and started with INIT-SIPI-SIPI (vector 0x08).
 * It runs in real mode at CS=0x0800 and goes straight to long mode:
 *   1. load a tiny GDT, enable PAE and SSE, load the kernel's CR3 (below 4 GiB),
 *   2. set EFER.LME|NXE and CR0.PG|PE, far-jump into 64-bit code here,
 *   3. load this CPU's stack and index from the data block the BSP filled in,
 *      and jump to the kernel's molt_ap_entry in the higher half.
 * Invariant: the kernel's page tables identity-map this page while APs start.
 */
#define TRAMPOLINE_BASE 0x8000
#define ABS(x) (TRAMPOLINE_BASE + (x) - molt_trampoline_start)

    .section .rodata.trampoline, "a"
    .code16
    .global molt_trampoline_start, molt_trampoline_end
    .global molt_trampoline_cr3, molt_trampoline_stack, molt_trampoline_entry, molt_trampoline_cpu
molt_trampoline_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl (tramp_gdtr - molt_trampoline_start)
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax   /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    mov (molt_trampoline_cr3 - molt_trampoline_start), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax              /* LME, NXE */
    wrmsr
    mov %cr0, %eax
    and $~(1 << 2), %eax                           /* EM off */
    or $((1 << 31) | (1 << 16) | (1 << 1) | 1), %eax /* PG, WP, MP, PE */
    mov %eax, %cr0
    ljmpl $0x08, $ABS(tramp_long)

    .code64
tramp_long:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov ABS(molt_trampoline_stack), %rsp
    mov ABS(molt_trampoline_cpu), %edi
    mov ABS(molt_trampoline_entry), %rax
    jmp *%rax

    .balign 8
tramp_gdt:
    /* Accessed bits preset: the page is mapped read-only, so the CPU must not need to set them. */
    .quad 0
    .quad 0x00AF9B000000FFFF
    .quad 0x00CF93000000FFFF
tramp_gdtr:
    .short 23
    .long ABS(tramp_gdt)
    .balign 8
molt_trampoline_cr3:   .quad 0
molt_trampoline_stack: .quad 0
molt_trampoline_entry: .quad 0
molt_trampoline_cpu:   .quad 0
molt_trampoline_end:

/* Higher-half landing for APs: rdi = CPU index, rsp = its boot stack. */
    .text
    .global molt_ap_entry
molt_ap_entry:
    xor %ebp, %ebp
    push $0
    push $0
    mov %rsp, %rbp
    call molt_ap_main
1:  cli
    hlt
    jmp 1b

    .global molt_trampoline_address
molt_trampoline_address:
    lea molt_trampoline_start(%rip), %rax
    ret
    .global molt_trampoline_size
molt_trampoline_size:
    mov $(molt_trampoline_end - molt_trampoline_start), %eax
    ret
    /* Offset of the data block (cr3, stack, entry, cpu: four quads) in the
       trampoline: Smp.cs fills the copy through it, needing no symbol table. */
    .global molt_trampoline_data_offset
molt_trampoline_data_offset:
    mov $(molt_trampoline_cr3 - molt_trampoline_start), %eax
    ret
    .global molt_ap_entry_address
molt_ap_entry_address:
    lea molt_ap_entry(%rip), %rax
    ret

    .section .note.GNU-stack, "", @progbits

/*
 * Limine's MP path: Limine has already put each AP in long mode on its own
 * page tables and a small stack, and jumps to goto_address with rdi =
 * its limine_mp_info. extra_argument points at a LimineApStart block
 * {u64 cr3, u64 stack_top, u64 cpu_index} filled by Smp.cs.
 */
    .text
    .global molt_limine_ap_entry, molt_limine_ap_entry_address
molt_limine_ap_entry:
    cli
    mov 24(%rdi), %rsi                 /* extra_argument (offset 24 on x86-64: after ids and reserved) */
    mov 0(%rsi), %rax
    mov %rax, %cr3
    mov 8(%rsi), %rsp
    mov 16(%rsi), %edi
    mov %cr0, %rax
    and $~(1 << 2), %rax               /* SSE on: EM off, MP on */
    or $(1 << 1), %rax
    mov %rax, %cr0
    mov %cr4, %rax
    or $((1 << 9) | (1 << 10)), %rax
    mov %rax, %cr4
    jmp molt_ap_entry
molt_limine_ap_entry_address:
    lea molt_limine_ap_entry(%rip), %rax
    ret
    .section .note.GNU-stack, "", @progbits
