using System.Runtime.InteropServices;
using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Time;

namespace Molt.Arch.X64
{
    /// <summary>
    /// Starts application processors with INIT-SIPI-SIPI through the
    /// real-mode trampoline in boot/trampoline.S, one CPU at a time:
    /// 1. Copy the trampoline to physical 0x8000 (never handed out by the
    ///    frame allocator, which starts at 1 MiB) and identity-map that page.
    /// 2. Fill its data block: kernel CR3, the CPU's stack, its index, the entry.
    /// 3. INIT, wait 10 ms, SIPI, wait 200 us, SIPI (the MP specification's sequence).
    /// 4. Wait up to 200 ms for the CPU to mark itself online.
    /// Under Limine, which has already started the APs for its MP response,
    /// each AP is released through its goto_address instead (see
    /// StartThroughLimine); INIT-SIPI-SIPI is the path for PVH and Multiboot2.
    /// </summary>
    internal static unsafe class ApplicationProcessors
    {
        private const ulong TrampolinePhysical = 0x8000;

        [DllImport("*"), SuppressGCTransition] private static extern byte* molt_trampoline_address();
        [DllImport("*"), SuppressGCTransition] private static extern int molt_trampoline_size();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_ap_entry_address();

        private static bool s_prepared;

        private static void Prepare()
        {
            byte* src = molt_trampoline_address();
            int size = molt_trampoline_size();
            byte* dst = (byte*)FrameAllocator.ToVirtual(TrampolinePhysical);
            for (int i = 0; i < size; i++) dst[i] = src[i];
            PageTables.Map(KernelAddressSpace.Root, TrampolinePhysical, TrampolinePhysical, 4096, PageAccess.Read | PageAccess.Execute);
            s_prepared = true;
        }

        [DllImport("*"), SuppressGCTransition] private static extern int molt_trampoline_data_offset();

        /// <summary>The copied trampoline's data block, in trampoline.S's order.</summary>
        private enum TrampolineField { Cr3 = 0, Stack = 1, Entry = 2, Cpu = 3 }

        private static ulong* Field(TrampolineField field) =>
            (ulong*)((byte*)FrameAllocator.ToVirtual(TrampolinePhysical) + molt_trampoline_data_offset()) + (int)field;

        private static void Delay(ulong microseconds)
        {
            ulong end = Native.Rdtsc() + Clock.FrequencyHz / 1_000_000 * microseconds;
            while (Native.Rdtsc() < end) Native.Pause();
        }

        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_limine_ap_entry_address();

        [StructLayout(LayoutKind.Sequential)]
        private struct LimineMpResponse { public ulong Revision; public uint Flags; public uint BspLapicId; public ulong CpuCount; public LimineMpInfo** Cpus; }

        [StructLayout(LayoutKind.Sequential)]
        private struct LimineMpInfo { public uint ProcessorId; public uint LapicId; public ulong Reserved; public ulong GotoAddress; public ulong ExtraArgument; }

        /// <summary>The block molt_limine_ap_entry reads through extra_argument.</summary>
        [StructLayout(LayoutKind.Sequential)]
        private struct LimineApStart { public ulong Cr3; public ulong StackTop; public ulong CpuIndex; }

        /// <summary>
        /// Starts a CPU Limine has parked: fill its start block, then publish
        /// goto_address (the release store Limine's spin loop waits for).
        /// Returns false when Limine has no entry for this APIC id.
        /// </summary>
        private static bool StartThroughLimine(int index, uint apicId, ulong stackTop, out bool started)
        {
            started = false;
            var mp = (LimineMpResponse*)Kernel.Boot->LimineMp;
            for (ulong i = 0; i < mp->CpuCount; i++)
            {
                LimineMpInfo* info = mp->Cpus[i];
                if (info->LapicId != apicId) continue;
                var start = (LimineApStart*)Heap.AllocateOrPanic((uint)sizeof(LimineApStart)); // kept: the CPU may read it at any time
                start->Cr3 = KernelAddressSpace.Root;
                start->StackTop = stackTop;
                start->CpuIndex = (ulong)index;
                info->ExtraArgument = (ulong)start;
                Volatile.Write(ref *(long*)&info->GotoAddress, (long)molt_limine_ap_entry_address());
                CpuLocal* cpu = Processors.Get(index);
                for (int t = 0; t < 2000 && Volatile.Read(in cpu->Online) == 0; t++) Delay(100);
                started = Volatile.Read(in cpu->Online) != 0;
                return true;
            }
            return false;
        }

        public static bool Start(int index, uint apicId, ulong stackTop)
        {
            bool started;
            if (Kernel.Boot->LimineMp != 0 && StartThroughLimine(index, apicId, stackTop, out started)) return started;
            if (!s_prepared) Prepare();
            *Field(TrampolineField.Cr3) = KernelAddressSpace.Root;
            *Field(TrampolineField.Stack) = stackTop;
            *Field(TrampolineField.Entry) = molt_ap_entry_address();
            *Field(TrampolineField.Cpu) = (ulong)index;
            CpuLocal* cpu = Processors.Get(index);
            LocalApic.SendInit(apicId);
            Delay(10_000);
            LocalApic.SendStartup(apicId, TrampolinePhysical);
            Delay(200);
            if (Volatile.Read(in cpu->Online) == 0) LocalApic.SendStartup(apicId, TrampolinePhysical);
            for (int i = 0; i < 2000 && Volatile.Read(in cpu->Online) == 0; i++) Delay(100);
            return Volatile.Read(in cpu->Online) != 0;
        }

        [UnmanagedCallersOnly(EntryPoint = "molt_ap_main")]
        private static void Main(int index) => Processors.ApplicationProcessorMain(index);
    }
}
