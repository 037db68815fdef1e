/* Device register access for arch-neutral drivers (kernel/Hal/DeviceAccess.cs): one instruction each. */
    .text
    .global molt_dev_read8, molt_dev_read16, molt_dev_read32, molt_dev_read64
    .global molt_dev_write8, molt_dev_write16, molt_dev_write32, molt_dev_write64, molt_dma_barrier
molt_dev_read8:   movzbl (%rdi), %eax; ret
molt_dev_read16:  movzwl (%rdi), %eax; ret
molt_dev_read32:  movl (%rdi), %eax; ret
molt_dev_read64:  movq (%rdi), %rax; ret
molt_dev_write8:  movb %sil, (%rdi); ret
molt_dev_write16: movw %si, (%rdi); ret
molt_dev_write32: movl %esi, (%rdi); ret
molt_dev_write64: movq %rsi, (%rdi); ret
molt_dma_barrier: mfence; ret
    .section .note.GNU-stack, "", @progbits
