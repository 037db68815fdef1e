/* Small x86-64 instructions C# cannot express; each is called directly (DllImport "*"). */
    .text
    .global molt_outb, molt_inb, molt_outw, molt_inw, molt_outl, molt_inl
molt_outb: mov %esi, %eax; mov %edi, %edx; outb %al, %dx; ret
molt_inb:  mov %edi, %edx; xor %eax, %eax; inb %dx, %al; ret
molt_outw: mov %esi, %eax; mov %edi, %edx; outw %ax, %dx; ret
molt_inw:  mov %edi, %edx; xor %eax, %eax; inw %dx, %ax; ret
molt_outl: mov %esi, %eax; mov %edi, %edx; outl %eax, %dx; ret
molt_inl:  mov %edi, %edx; inl %dx, %eax; ret

    .global molt_rdtsc
molt_rdtsc: rdtsc; shl $32, %rdx; or %rdx, %rax; ret

    .global molt_hlt, molt_cli, molt_sti, molt_pause, molt_read_flags, molt_halt_forever
molt_hlt: hlt; ret
molt_cli: cli; ret
molt_sti: sti; ret
    .global molt_sti_hlt
molt_sti_hlt: sti; hlt; ret
molt_pause: pause; ret
molt_read_flags: pushfq; pop %rax; ret
molt_halt_forever: cli; 1: hlt; jmp 1b

    /* The caller's frame pointer: rbp is untouched by this leaf. */
    .global molt_read_frame_pointer
molt_read_frame_pointer: mov %rbp, %rax; ret

    .global molt_read_cr0, molt_read_cr2, molt_read_cr3, molt_read_cr4, molt_write_cr3
molt_read_cr0: mov %cr0, %rax; ret
molt_read_cr2: mov %cr2, %rax; ret
molt_read_cr3: mov %cr3, %rax; ret
molt_read_cr4: mov %cr4, %rax; ret
molt_write_cr3: mov %rdi, %cr3; ret
    .global molt_write_cr4
molt_write_cr4: mov %rdi, %cr4; ret

    .global molt_rdmsr, molt_wrmsr
molt_rdmsr: mov %edi, %ecx; rdmsr; shl $32, %rdx; or %rdx, %rax; ret
molt_wrmsr: mov %edi, %ecx; mov %rsi, %rax; mov %rsi, %rdx; shr $32, %rdx; wrmsr; ret

    .global molt_invlpg
molt_invlpg: invlpg (%rdi); ret

    /* Layout accessors (kernel/Hal/Layout.cs); symbols come from linker.ld. */
    .global molt_layout_kernel_start, molt_layout_kernel_end, molt_layout_text_end
    .global molt_layout_rodata_end, molt_layout_data_end, molt_layout_symbol_table, molt_layout_rtr_header
molt_layout_kernel_start: movabs $__kernel_start, %rax; ret
molt_layout_kernel_end:   movabs $__kernel_end, %rax; ret
molt_layout_text_end:     movabs $__text_end, %rax; ret
molt_layout_rodata_end:   movabs $__rodata_end, %rax; ret
molt_layout_data_end:     movabs $__data_end, %rax; ret
molt_layout_symbol_table: movabs $__ksyms_start, %rax; ret
/* The module list holds a pointer to the ReadyToRun header, whatever ilc named it (multifile prefixes it). */
molt_layout_rtr_header:   movabs $__modules_a, %rax; movq (%rax), %rax; ret

    .section .note.GNU-stack, "", @progbits

/* Per-CPU base: GS points at the CpuLocal block, whose word 0 is its address. */
    .text
    .global molt_percpu_current, molt_percpu_install
molt_percpu_current:
    mov %gs:0, %rax
    ret
molt_percpu_install:
    mov $0xC0000101, %ecx              /* IA32_GS_BASE */
    mov %rdi, %rax
    mov %rdi, %rdx
    shr $32, %rdx
    wrmsr
    mov $0xC0000102, %ecx              /* IA32_KERNEL_GS_BASE: the same, so swapgs is harmless */
    wrmsr
    ret

    .global molt_cpuid
/* molt_cpuid(leaf, subleaf, uint* out4): eax, ebx, ecx, edx. */
molt_cpuid:
    push %rbx
    mov %edi, %eax
    mov %esi, %ecx
    mov %rdx, %r8
    cpuid
    mov %eax, 0(%r8)
    mov %ebx, 4(%r8)
    mov %ecx, 8(%r8)
    mov %edx, 12(%r8)
    pop %rbx
    ret
    .section .note.GNU-stack, "", @progbits
