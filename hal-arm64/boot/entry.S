/*
 * Molt AArch64 entry. One ELF, two ways in; both end in molt_main
 * (hal-arm64/Entry.cs) at EL1 in the higher half, on the boot stack
 * (SP_EL0), with FP/SIMD on, the exception vectors installed and their
 * own stack in SP_EL1:
 *
 *   Direct   QEMU -kernel (the ELF, or molt.img with the arm64 Linux Image
 *            header below): MMU off, EL1 or EL2, x0 = DTB for the Image
 *            (0 for the ELF: QEMU then puts the DTB at the start of RAM).
 *   Limine   The same ELF entry, MMU already on, higher half, EL1 (or EL2
 *            with VHE): Limine's tables and its HHDM.
 * The entry tells them apart by SCTLR.M.
 *
 * The direct path:
 *   1. records CNTVCT at entry,
 *   2. drops from EL2 to EL1 if it started in EL2,
 *   3. builds boot page tables, position-independently (it runs at its
 *      physical load address, which must be 2 MiB aligned):
 *        TTBR0  identity of the 4 GiB "window" starting at the 1 GiB
 *               boundary below the kernel (the code running now),
 *        TTBR1  the same window at 0xffff800000000000 as the early direct
 *               map (the GiBs below the window as Device-nGnRE: QEMU virt
 *               has its UART and GIC there), and the kernel image at its
 *               link address in 2 MiB blocks,
 *   4. programs MAIR/TCR/TTBR0/TTBR1, enables FP/SIMD and the MMU with
 *      caches (SCTLR M, C, I; A = 0),
 *   5. jumps to the higher half and turns TTBR0 walks off (TCR.EPD0): from
 *      then on the lower half is unmapped, so null pointers fault.
 * molt_main(protocol, info, entry_timestamp) never returns.
 */

#include "el2.inc"

#define DIRECT_MAP      0xffff800000000000
#define WINDOW_GIB      4

#define PROTO_LIMINE    1
#define PROTO_DIRECT    4

/* Translation table descriptors (4 KiB granule). */
#define DESC_TABLE      0x3
#define DESC_BLOCK      0x1
#define ATTR_NORMAL     (0 << 2)
#define ATTR_DEVICE     (1 << 2)
#define SH_INNER        (3 << 8)
#define AF              (1 << 10)
#define PXN             (1 << 53)
#define UXN             (1 << 54)
#define BLOCK_NORMAL    (DESC_BLOCK | ATTR_NORMAL | SH_INNER | AF | UXN)
#define BLOCK_DEVICE    (DESC_BLOCK | ATTR_DEVICE | AF | PXN | UXN)

/* MAIR: 0 Normal WB RW-allocate, 1 Device-nGnRE, 2 Normal non-cacheable, 3 Device-nGnRnE. */
#define MAIR_VALUE      0x00000000004404ff
/* TCR: 48-bit VAs both halves, 4 KiB granules, WB WA inner-shareable walks; IPS filled in. */
#define TCR_VALUE       0xb5103510
#define TCR_EPD0        (1 << 7)
/* SCTLR_EL1: RES1 bits, then M, C, SA, SA0, I (A = 0: unaligned accesses allowed). */
#define SCTLR_RES1      0x30d00800
#define SCTLR_MMU_ON    (SCTLR_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12))
#define CPACR_FPEN      (3 << 20)

/* ---- The arm64 Linux Image header: must be the first bytes of the image ---- */
    .section .head.text, "ax"
    .global molt_entry
molt_entry:
    b       direct_or_limine            /* code0 */
    .long   0                           /* code1 */
    .quad   0x800000                    /* text_offset: 8 MiB above a 2 MiB aligned base (linker.ld) */
    .quad   __image_size                /* image_size, including .bss */
    .quad   0xa                         /* flags: LE, 4 KiB pages, anywhere in RAM */
    .quad   0, 0, 0                     /* res2-res4 */
    .ascii  "ARM\x64"                   /* magic */
    .long   0                           /* res5: no PE header */

direct_or_limine:
    mov     x19, x0                     /* DTB (Image protocol) or 0 */
    isb
    mrs     x20, cntvct_el0             /* entry timestamp */
    mrs     x22, CurrentEL
    lsr     x22, x22, #2
    cmp     x22, #2
    b.eq    1f
    mrs     x0, sctlr_el1
    tbnz    x0, #0, limine_entry        /* MMU on: a loader (Limine) mapped us */
    b       at_el1
1:  mrs     x0, sctlr_el2
    tbnz    x0, #0, limine_entry        /* EL2 with MMU on: Limine with VHE */

    /* ---- EL2 -> EL1 ---- */
    EL2_TO_EL1 at_el1

at_el1:
    msr     daifset, #0xf
    adr     x21, molt_entry             /* physical load address of the image */
    tst     x21, #0x1fffff
    b.ne    boot_fail                   /* the 2 MiB block mapping needs alignment */

    /* Zero the boot page tables (5 pages). */
    adrp    x0, boot_tables
    mov     x1, #(5 * 4096)
1:  stp     xzr, xzr, [x0], #16
    subs    x1, x1, #16
    b.ne    1b

    /* The window: WINDOW_GIB GiB from the 1 GiB boundary below the kernel. */
    and     x23, x21, #~0x3fffffff
    adrp    x0, boot_l1_window
    lsr     x1, x23, #30                /* first RAM GiB */
    add     x2, x1, #WINDOW_GIB
    mov     x3, #512
    cmp     x2, x3
    csel    x2, x2, x3, lo
    mov     x3, #0
    ldr     x4, =BLOCK_DEVICE
    ldr     x5, =BLOCK_NORMAL
1:  cmp     x3, x1
    csel    x7, x4, x5, lo              /* below the window: Device; in it: Normal */
    orr     x6, x7, x3, lsl #30
    str     x6, [x0, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, x2
    b.lo    1b

    /* L0 tables: TTBR0[0] and TTBR1[256] share the window's L1 table. */
    adrp    x1, boot_l1_window
    orr     x1, x1, #DESC_TABLE
    adrp    x0, boot_l0_low
    str     x1, [x0]
    adrp    x0, boot_l0_high
    str     x1, [x0, #(256 * 8)]
    adrp    x2, boot_l1_kernel
    orr     x2, x2, #DESC_TABLE
    str     x2, [x0, #(511 * 8)]

    /* The kernel: L1 -> L2 table of 2 MiB blocks covering [__kernel_start, __kernel_end). */
    ldr     x3, =__kernel_start
    adrp    x0, boot_l1_kernel
    adrp    x1, boot_l2_kernel
    orr     x1, x1, #DESC_TABLE
    ubfx    x4, x3, #30, #9
    str     x1, [x0, x4, lsl #3]
    adrp    x0, boot_l2_kernel
    ubfx    x4, x3, #21, #9
    ldr     x5, =__kernel_end
    sub     x5, x5, x3
    mov     x7, #0x1fffff
    add     x5, x5, x7
    lsr     x5, x5, #21
    ldr     x6, =BLOCK_NORMAL
    orr     x6, x6, x21
1:  str     x6, [x0, x4, lsl #3]
    add     x4, x4, #1
    add     x6, x6, #0x200000
    subs    x5, x5, #1
    b.ne    1b

    /* The tables were written with the MMU off (straight to memory): drop any stale cached copies. */
    dsb     sy
    mrs     x0, ctr_el0
    ubfx    x0, x0, #16, #4             /* DminLine: log2(words) */
    mov     x1, #4
    lsl     x1, x1, x0                  /* line size in bytes */
    adrp    x2, boot_tables
    add     x3, x2, #(5 * 4096)
1:  dc      ivac, x2
    add     x2, x2, x1
    cmp     x2, x3
    b.lo    1b
    dsb     sy

    ldr     x0, =MAIR_VALUE
    msr     mair_el1, x0
    ldr     x0, =TCR_VALUE
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #7                  /* PARange */
    cmp     x1, #5
    mov     x2, #5
    csel    x1, x1, x2, ls              /* at most 48 bits: the descriptors hold no more */
    bfi     x0, x1, #32, #3             /* IPS */
    msr     tcr_el1, x0
    adrp    x0, boot_l0_low
    msr     ttbr0_el1, x0
    adrp    x0, boot_l0_high
    msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    mov     x0, #CPACR_FPEN
    msr     cpacr_el1, x0
    ic      iallu
    dsb     nsh
    isb
    ldr     x0, =SCTLR_MMU_ON
    msr     sctlr_el1, x0
    isb
    ldr     x0, =higher_half
    br      x0

boot_fail:
    wfe
    b       boot_fail

higher_half:
    /* Lower half off: null pointers fault from here on. */
    mrs     x0, tcr_el1
    orr     x0, x0, #TCR_EPD0
    msr     tcr_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    adrp    x1, boot_state
    add     x1, x1, :lo12:boot_state
    stp     x19, x21, [x1]              /* DTB, kernel physical base */
    mov     x2, #(WINDOW_GIB << 30)
    stp     x23, x2, [x1, #16]          /* early window: physical base, size */
    str     x22, [x1, #32]              /* entry exception level */
    mov     x0, #PROTO_DIRECT
    b       enter_kernel

/* ---- Limine: MMU on, higher half, Limine's tables (HHDM at its offset) ---- */
limine_entry:
    msr     daifset, #0xf
    mov     x0, #CPACR_FPEN
    msr     cpacr_el1, x0
    isb
    /* Index 0 (Normal WB) is Limine's too, so the code running now is unaffected. */
    ldr     x0, =MAIR_VALUE
    msr     mair_el1, x0
    mrs     x0, tcr_el1
    orr     x0, x0, #TCR_EPD0
    msr     tcr_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    adrp    x1, limine_requests_start
    add     x1, x1, :lo12:limine_requests_start
    mov     x0, #PROTO_LIMINE

/*
 * x0 = protocol, x1 = info, x20 = entry timestamp. Exception stack in
 * SP_EL1, kernel stack in SP_EL0 (so a fault on a broken kernel stack
 * still has a stack to report on), TPIDR_EL0 at this CPU's exception
 * nesting counter (vectors.S), vectors, then molt_main.
 */
enter_kernel:
    adrp    x9, exception_stack_top
    add     x9, x9, :lo12:exception_stack_top
    msr     spsel, #1
    mov     sp, x9
    msr     spsel, #0
    adrp    x9, boot_exception_depth
    add     x9, x9, :lo12:boot_exception_depth
    msr     tpidr_el0, x9
    msr     tpidr_el1, xzr              /* no CpuLocal yet */
    adrp    x9, boot_stack_top
    add     x9, x9, :lo12:boot_stack_top
    mov     sp, x9
    adrp    x9, molt_vectors
    add     x9, x9, :lo12:molt_vectors
    msr     vbar_el1, x9
    isb
    mov     x2, x20
    stp     xzr, xzr, [sp, #-16]!       /* a zero frame record ends backtraces */
    mov     x29, sp
    mov     x30, #0
    bl      molt_main
1:  msr     daifset, #0xf
    wfi
    b       1b
    .ltorg

/* ---- Data ---- */
    .section .bss.boot, "aw", %nobits
    .balign 4096
boot_tables:
boot_l0_low:     .skip 4096
boot_l0_high:    .skip 4096
boot_l1_window:  .skip 4096
boot_l1_kernel:  .skip 4096
boot_l2_kernel:  .skip 4096
    .balign 4096
    /* Guard pages, unmapped by the kernel's page tables (KernelAddressSpace.Build): an overflow faults. */
boot_stack_guard: .skip 4096
boot_stack:      .skip 65536
boot_stack_top:
exception_stack_guard: .skip 4096
exception_stack: .skip 16384
exception_stack_top:
    .balign 8
    .global boot_state
boot_state:      .skip 40
boot_exception_depth: .skip 16

    /* Layout.BootStackGuard and ExceptionStackGuard. */
    .section .text.molt_layout_guards, "ax"
    .global molt_layout_boot_stack_guard, molt_layout_exception_stack_guard
molt_layout_boot_stack_guard:
    adrp    x0, boot_stack_guard
    add     x0, x0, :lo12:boot_stack_guard
    ret
molt_layout_exception_stack_guard:
    adrp    x0, exception_stack_guard
    add     x0, x0, :lo12:exception_stack_guard
    ret

    .section .note.GNU-stack, "", %progbits
