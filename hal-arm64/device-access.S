/* Device register access for arch-neutral drivers (kernel/Hal/DeviceAccess.cs): one instruction each.
   The 8-, 32- and 64-bit forms are cpu.S's molt_mmio_*; the 16-bit ones live here. */
    .text
    .global molt_dev_read16, molt_dev_write16, molt_dma_barrier
molt_dev_read16:  ldrh w0, [x0]; ret
molt_dev_write16: strh w1, [x0]; ret
molt_dma_barrier: dmb sy; ret
    .section .note.GNU-stack, "", %progbits
