/*
 * Molt x86-64 entry. One ELF, three ways in; all of them end in molt_main
 * (hal-x64/Entry.cs) in 64-bit mode on the higher-half boot stack, SSE on:
 *
 *   Limine      ELF entry (molt_limine_entry), already in long mode, higher half.
 *   PVH         QEMU -kernel: 32-bit protected mode, paging off, EBX = start_info.
 *   Multiboot2  GRUB: 32-bit protected mode, paging off, EAX = magic, EBX = info.
 *
 * The 32-bit paths share boot32, which:
 *   1. records the timestamp counter at entry,
 *   2. builds boot page tables (identity 0-4 GiB, the same at 0xffff800000000000
 *      as the early direct map, and the kernel at 0xffffffff80000000),
 *   3. enables PAE, long mode, NX and paging, and jumps to the higher half.
 * molt_main(protocol, info, entry_timestamp) never returns.
 */

#define KERNEL_OFFSET 0xffffffff80000000
#define PHYS(x) ((x) - KERNEL_OFFSET)

#define PROTO_LIMINE 1
#define PROTO_PVH 2
#define PROTO_MB2 3

/* ---- Multiboot2 header: in the first 32 KiB of the file ---- */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long 0xe85250d6
    .long 0
    .long mb2_header_end - mb2_header
    .long -(0xe85250d6 + (mb2_header_end - mb2_header))
    .balign 8
    .short 3, 0            /* entry address tag */
    .long 12
    .long PHYS(mb2_entry32)
    .balign 8
    .short 5, 1            /* framebuffer tag, optional: a linear 1024x768, 32 bits per pixel */
    .long 20
    .long 1024, 768, 32
    .balign 8
    .short 0, 0            /* end tag */
    .long 8
mb2_header_end:

/* ---- PVH note: QEMU enters here in 32-bit mode ---- */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 4
    .long 18               /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long PHYS(pvh_entry32)

    .section .boot.text, "ax"
    .code32
pvh_entry32:
    cli
    mov $PROTO_PVH, %edi
    mov %ebx, %esi
    jmp boot32

mb2_entry32:
    cli
    mov $PROTO_MB2, %edi
    mov %ebx, %esi
    jmp boot32

boot32:
    mov %edi, %ebp                     /* protocol, kept across rdtsc */
    rdtsc
    mov %eax, PHYS(boot_timestamp)
    mov %edx, PHYS(boot_timestamp) + 4
    mov $PHYS(boot_stack_top), %esp

    /* Zero the boot page tables (6 pages). */
    mov $PHYS(boot_pml4), %edi
    xor %eax, %eax
    mov $(6 * 4096 / 4), %ecx
    cld
    rep stosl

    /* Four page directories: 2 MiB pages covering 0-4 GiB. */
    mov $PHYS(boot_pd), %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                     /* present, writable, 2 MiB */
    mov %eax, (%edi, %ecx, 8)
    mov %ecx, %eax
    shr $11, %eax                      /* high bits of (i << 21) */
    mov %eax, 4(%edi, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 1b

    mov $PHYS(boot_pdpt_low), %edi
    mov $PHYS(boot_pd) + 3, %eax
    mov %eax, 0(%edi)
    add $4096, %eax
    mov %eax, 8(%edi)
    add $4096, %eax
    mov %eax, 16(%edi)
    add $4096, %eax
    mov %eax, 24(%edi)

    mov $PHYS(boot_pdpt_high), %edi
    mov $PHYS(boot_pd) + 3, %eax
    mov %eax, 510 * 8(%edi)
    add $4096, %eax
    mov %eax, 511 * 8(%edi)

    mov $PHYS(boot_pml4), %edi
    mov $PHYS(boot_pdpt_low) + 3, %eax
    mov %eax, 0(%edi)
    mov %eax, 256 * 8(%edi)
    mov $PHYS(boot_pdpt_high) + 3, %eax
    mov %eax, 511 * 8(%edi)

    mov %cr4, %eax
    or $(1 << 5), %eax                 /* PAE */
    mov %eax, %cr4
    mov $PHYS(boot_pml4), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx              /* EFER */
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax   /* LME, NXE */
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
    mov %eax, %cr0

    lgdt PHYS(boot_gdt_pointer)
    ljmp $0x08, $PHYS(long_mode32)

    .code64
long_mode32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    movabs $higher_half, %rax
    jmp *%rax

higher_half:
    mov %ebp, %edi                     /* protocol (zero-extended) */
    mov %esi, %esi                     /* info: physical, below 4 GiB */
    mov boot_timestamp(%rip), %rdx
    jmp enter_kernel

/* ---- Limine: long mode, higher half, Limine's GDT and page tables ---- */
    .section .text.molt_limine_entry, "ax"
    .global molt_limine_entry
molt_limine_entry:
    cli
    rdtsc
    shl $32, %rdx
    or %rax, %rdx
    mov $PROTO_LIMINE, %edi
    lea limine_requests_start(%rip), %rsi
    jmp enter_kernel

/* rdi = protocol, rsi = info, rdx = entry timestamp. */
enter_kernel:
    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov %cr0, %rax
    and $~(1 << 2), %rax               /* clear EM */
    or $(1 << 1), %rax                 /* set MP */
    mov %rax, %cr0
    mov %cr4, %rax
    or $((1 << 9) | (1 << 10)), %rax   /* OSFXSR, OSXMMEXCPT */
    mov %rax, %cr4
    push $0                            /* fake return address: ends backtraces */
    push $0
    mov %rsp, %rbp
    call molt_main
1:  cli
    hlt
    jmp 1b

/* ---- Data ---- */
    .section .rodata.boot_gdt, "a"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF           /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF           /* 0x10: data */
boot_gdt_end:
    .balign 8
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)

    .section .bss.boot, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
    /* Unmapped by the kernel's page tables (KernelAddressSpace.Build): an overflow of the boot stack faults. */
boot_stack_guard: .skip 4096
boot_stack:     .skip 65536
boot_stack_top:
    .balign 8
boot_timestamp: .skip 8

    /* Layout.BootStackGuard and ExceptionStackGuard (x86-64 moves its IST stacks to guarded ones instead: none). */
    .section .text.molt_layout_guards, "ax"
    .code64
    .global molt_layout_boot_stack_guard, molt_layout_exception_stack_guard
molt_layout_boot_stack_guard:
    lea boot_stack_guard(%rip), %rax
    ret
molt_layout_exception_stack_guard:
    xor %eax, %eax
    ret

    .section .note.GNU-stack, "", @progbits
