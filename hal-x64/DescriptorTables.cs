using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Molt.Arch.X64
{
    /// <summary>
    /// The GDT (null, kernel code 0x08, kernel data 0x10, TSS 0x18), the TSS
    /// with separate interrupt stacks for double fault (IST1), NMI (IST2) and
    /// machine check (IST3), and the IDT pointing every vector at isr.S.
    /// A double fault on a broken stack still reaches the panic path this way.
    /// </summary>
    internal static unsafe class DescriptorTables
    {
        public const ushort KernelCode = 0x08;
        public const ushort KernelData = 0x10;
        public const ushort TaskState = 0x18;
        private const int IstStackSize = 16384;

        [StructLayout(LayoutKind.Sequential, Pack = 1)]
        private struct Tss
        {
            public uint Reserved0;
            public ulong Rsp0, Rsp1, Rsp2;
            public ulong Reserved1;
            public ulong Ist1, Ist2, Ist3, Ist4, Ist5, Ist6, Ist7;
            public ulong Reserved2;
            public ushort Reserved3;
            public ushort IoMapBase;
        }

        [StructLayout(LayoutKind.Sequential, Pack = 1)]
        private struct Pointer
        {
            public ushort Limit;
            public ulong Base;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct IdtEntry
        {
            public ushort OffsetLow;
            public ushort Selector;
            public byte Ist;
            public byte TypeAttributes;
            public ushort OffsetMiddle;
            public uint OffsetHigh;
            public uint Reserved;
        }

        private struct GdtStorage { public fixed ulong Entries[5]; }
        private struct IdtStorage { public fixed ulong Words[512]; }
        [StructLayout(LayoutKind.Sequential, Size = IstStackSize * 3)]
        private struct IstStacks { public byte First; }

        private static GdtStorage s_gdt;
        private static IdtStorage s_idt;
        private static Tss s_tss;
        private static IstStacks s_istStacks;

        [DllImport("*"), SuppressGCTransition] private static extern void molt_load_gdt(Pointer* gdtr, ulong codeSelector, ulong dataSelector);
        [DllImport("*"), SuppressGCTransition] private static extern void molt_load_tss(ushort selector);
        [DllImport("*"), SuppressGCTransition] private static extern void molt_load_idt(Pointer* idtr);
        [DllImport("*"), SuppressGCTransition] private static extern ulong* molt_isr_table_address();

        /// <summary>Boot CPU: static GDT, TSS and IST stacks (no allocator exists yet), then the shared IDT.</summary>
        public static void Initialize()
        {
            byte* stacks = (byte*)Unsafe.AsPointer(ref s_istStacks.First);
            LoadForThisCpu((ulong*)Unsafe.AsPointer(ref s_gdt), (Tss*)Unsafe.AsPointer(ref s_tss), stacks);
            BuildIdt();
        }

        /// <summary>Bytes an application processor needs for its own GDT and TSS (its IST stacks come from kernel/Memory/Stacks.cs).</summary>
        public static int PerCpuBytes => 64 + sizeof(Tss);

        /// <summary>
        /// An application processor: its own GDT and TSS (a TSS is busy once loaded,
        /// so each CPU needs one) in <paramref name="memory"/>, IST stacks with guard
        /// pages, and the shared IDT.
        /// </summary>
        public static void InitializeThisCpu(byte* memory, int cpu)
        {
            ulong* gdt = (ulong*)memory;
            Tss* tss = (Tss*)(memory + 64);
            for (int i = 0; i < sizeof(Tss); i++) ((byte*)tss)[i] = 0;
            ulong* tops = stackalloc ulong[3];
            for (int i = 0; i < 3; i++) tops[i] = GuardedIstStack(i, cpu);
            LoadForThisCpu(gdt, tss, tops);
            Pointer idtr;
            idtr.Limit = 256 * 16 - 1;
            idtr.Base = (ulong)Unsafe.AsPointer(ref s_idt);
            molt_load_idt(&idtr);
        }

        /// <summary>
        /// The boot CPU, once the kernel's page tables exist: moves its IST
        /// stacks from .bss (set before any allocator) to guarded ones. The CPU
        /// reads the TSS's IST fields at each delivery, so the switch takes effect
        /// with the next double fault, NMI or machine check.
        /// </summary>
        public static void GuardBootCpuIstStacks()
        {
            Tss* tss = (Tss*)Unsafe.AsPointer(ref s_tss);
            tss->Ist1 = GuardedIstStack(0, 0);
            tss->Ist2 = GuardedIstStack(1, 0);
            tss->Ist3 = GuardedIstStack(2, 0);
        }

        private static ulong GuardedIstStack(int index, int cpu)
        {
            ulong physical;
            ulong bottom = Memory.Stacks.Allocate(IstStackSize, out physical);
            if (bottom == 0) Diagnostics.Panic.Fail("no memory for an IST stack");
            Memory.Stacks.Name(bottom, IstStackSize, index == 0 ? "the double-fault stack (IST1)" : index == 1 ? "the NMI stack (IST2)" : "the machine-check stack (IST3)", cpu);
            return bottom + IstStackSize;
        }

        private static void LoadForThisCpu(ulong* gdt, Tss* tssp, byte* stacks)
        {
            ulong* tops = stackalloc ulong[3];
            for (int i = 0; i < 3; i++) tops[i] = (ulong)(stacks + (i + 1) * IstStackSize) & ~15UL;
            LoadForThisCpu(gdt, tssp, tops);
        }

        private static void LoadForThisCpu(ulong* gdt, Tss* tssp, ulong* istTops)
        {
            tssp->Ist1 = istTops[0];
            tssp->Ist2 = istTops[1];
            tssp->Ist3 = istTops[2];
            tssp->IoMapBase = (ushort)sizeof(Tss);

            ulong tss = (ulong)tssp;
            ulong limit = (ulong)sizeof(Tss) - 1;
            gdt[0] = 0;
            gdt[1] = 0x00AF9A000000FFFF; // 64-bit code, DPL 0
            gdt[2] = 0x00CF92000000FFFF; // data
            gdt[3] = (limit & 0xFFFF) | ((tss & 0xFFFFFF) << 16) | (0x89UL << 40) | (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56);
            gdt[4] = tss >> 32;

            Pointer gdtr;
            gdtr.Limit = 5 * 8 - 1;
            gdtr.Base = (ulong)gdt;
            molt_load_gdt(&gdtr, KernelCode, KernelData);
            molt_load_tss(TaskState);
        }

        private static void BuildIdt()
        {
            ulong* stubs = molt_isr_table_address();
            var idt = (IdtEntry*)Unsafe.AsPointer(ref s_idt);
            for (int v = 0; v < 256; v++)
            {
                ulong handler = stubs[v];
                idt[v].OffsetLow = (ushort)handler;
                idt[v].Selector = KernelCode;
                idt[v].Ist = (byte)(v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : 0);
                idt[v].TypeAttributes = 0x8E; // present, DPL 0, 64-bit interrupt gate
                idt[v].OffsetMiddle = (ushort)(handler >> 16);
                idt[v].OffsetHigh = (uint)(handler >> 32);
                idt[v].Reserved = 0;
            }
            Pointer idtr;
            idtr.Limit = 256 * 16 - 1;
            idtr.Base = (ulong)idt;
            molt_load_idt(&idtr);
        }
    }
}
