using System.Runtime.InteropServices;

namespace Molt.Arch.X64
{
    /// <summary>x86 port I/O, through the one-instruction helpers in cpu.S.</summary>
    internal static class PortIo
    {
        [DllImport("*", EntryPoint = "molt_outb"), SuppressGCTransition] public static extern void Out8(ushort port, byte value);
        [DllImport("*", EntryPoint = "molt_inb"), SuppressGCTransition] public static extern byte In8(ushort port);
        [DllImport("*", EntryPoint = "molt_outw"), SuppressGCTransition] public static extern void Out16(ushort port, ushort value);
        [DllImport("*", EntryPoint = "molt_inw"), SuppressGCTransition] public static extern ushort In16(ushort port);
        [DllImport("*", EntryPoint = "molt_outl"), SuppressGCTransition] public static extern void Out32(ushort port, uint value);
        [DllImport("*", EntryPoint = "molt_inl"), SuppressGCTransition] public static extern uint In32(ushort port);
    }

    /// <summary>Privileged x86-64 instructions, through cpu.S.</summary>
    internal static class Native
    {
        [DllImport("*", EntryPoint = "molt_rdtsc"), SuppressGCTransition] public static extern ulong Rdtsc();
        [DllImport("*", EntryPoint = "molt_hlt"), SuppressGCTransition] public static extern void Hlt();
        [DllImport("*", EntryPoint = "molt_cli"), SuppressGCTransition] public static extern void Cli();
        [DllImport("*", EntryPoint = "molt_sti"), SuppressGCTransition] public static extern void Sti();
        [DllImport("*", EntryPoint = "molt_sti_hlt"), SuppressGCTransition] public static extern void StiHlt();
        [DllImport("*", EntryPoint = "molt_pause"), SuppressGCTransition] public static extern void Pause();
        [DllImport("*", EntryPoint = "molt_read_flags"), SuppressGCTransition] public static extern ulong ReadFlags();
        [DllImport("*", EntryPoint = "molt_halt_forever"), SuppressGCTransition] public static extern void HaltForever();
        [DllImport("*", EntryPoint = "molt_read_frame_pointer"), SuppressGCTransition] public static extern nint ReadFramePointer();
        [DllImport("*", EntryPoint = "molt_read_cr0"), SuppressGCTransition] public static extern ulong ReadCr0();
        [DllImport("*", EntryPoint = "molt_read_cr2"), SuppressGCTransition] public static extern ulong ReadCr2();
        [DllImport("*", EntryPoint = "molt_read_cr3"), SuppressGCTransition] public static extern ulong ReadCr3();
        [DllImport("*", EntryPoint = "molt_read_cr4"), SuppressGCTransition] public static extern ulong ReadCr4();
        [DllImport("*", EntryPoint = "molt_write_cr3"), SuppressGCTransition] public static extern void WriteCr3(ulong value);
        [DllImport("*", EntryPoint = "molt_write_cr4"), SuppressGCTransition] public static extern void WriteCr4(ulong value);
        [DllImport("*", EntryPoint = "molt_rdmsr"), SuppressGCTransition] public static extern ulong ReadMsr(uint msr);
        [DllImport("*", EntryPoint = "molt_wrmsr"), SuppressGCTransition] public static extern void WriteMsr(uint msr, ulong value);
        [DllImport("*", EntryPoint = "molt_invlpg"), SuppressGCTransition] public static extern void Invlpg(ulong address);
    }
}

namespace Molt.Arch.X64
{
    /// <summary>CPUID, through cpu.S.</summary>
    internal static unsafe class CpuId
    {
        [DllImport("*"), SuppressGCTransition] private static extern void molt_cpuid(uint leaf, uint subleaf, uint* output);

        public struct Result { public uint Eax, Ebx, Ecx, Edx; }

        public static Result Query(uint leaf, uint subleaf = 0)
        {
            Result r;
            molt_cpuid(leaf, subleaf, (uint*)&r);
            return r;
        }

        public static bool HasX2Apic => (Query(1).Ecx & (1u << 21)) != 0;
        public static uint InitialApicId => Query(1).Ebx >> 24;
    }
}
