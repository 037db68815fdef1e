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

        public static void Initialize()
        {
            byte* stacks = (byte*)Unsafe.AsPointer(ref s_istStacks.First);
            s_tss.Ist1 = (ulong)(stacks + IstStackSize) & ~15UL;
            s_tss.Ist2 = (ulong)(stacks + 2 * IstStackSize) & ~15UL;
            s_tss.Ist3 = (ulong)(stacks + 3 * IstStackSize) & ~15UL;
            s_tss.IoMapBase = (ushort)sizeof(Tss);

            ulong tss = (ulong)Unsafe.AsPointer(ref s_tss);
            ulong limit = (ulong)sizeof(Tss) - 1;
            s_gdt.Entries[0] = 0;
            s_gdt.Entries[1] = 0x00AF9A000000FFFF; // 64-bit code, DPL 0
            s_gdt.Entries[2] = 0x00CF92000000FFFF; // data
            s_gdt.Entries[3] = (limit & 0xFFFF) | ((tss & 0xFFFFFF) << 16) | (0x89UL << 40) | (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56);
            s_gdt.Entries[4] = tss >> 32;

            Pointer gdtr;
            gdtr.Limit = 5 * 8 - 1;
            gdtr.Base = (ulong)Unsafe.AsPointer(ref s_gdt);
            molt_load_gdt(&gdtr, KernelCode, KernelData);
            molt_load_tss(TaskState);

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
