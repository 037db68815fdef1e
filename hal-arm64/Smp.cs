using System.Runtime.InteropServices;
using System.Threading;
using Molt.Console;
using Molt.Diagnostics;
using Molt.Hal;
using Molt.Memory;
using Molt.Smp;
using Molt.Time;

namespace Molt.Arch.Arm64
{
    /// <summary>
    /// Starts application processors, one at a time:
    /// 1. Allocate the CPU's exception stack (SP_EL1) and its exception
    ///    nesting counter, and fill an <see cref="ApStart"/> block in a frame
    ///    of its own (kept: a CPU that comes up late still reads it).
    /// 2. Direct boot: PSCI CPU_ON(MPIDR, physical address of molt_ap_entry,
    ///    physical address of the block). The block and the identity table
    ///    are cleaned to memory first, since the CPU reads them with its MMU
    ///    and caches off. Under Limine: store the block's address in the CPU's
    ///    extra_argument, then molt_limine_ap_entry in goto_address (a release
    ///    store: Limine's parked CPU polls it).
    /// 3. boot/ap.S sets the CPU up and calls molt_ap_main(index), which
    ///    continues in Processors.ApplicationProcessorMain.
    /// 4. Wait up to a second for the CPU to mark itself online.
    /// </summary>
    internal static unsafe class ApplicationProcessors
    {
        private const ulong ExceptionStackSize = 16 * 1024;

        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_ap_entry_address();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_limine_ap_entry_address();
        [DllImport("*"), SuppressGCTransition] private static extern ulong molt_vectors_address();

        /// <summary>Mirror of the block boot/ap.S reads.</summary>
        [StructLayout(LayoutKind.Sequential)]
        private struct ApStart
        {
            public ulong Ttbr0, Ttbr1, Tcr, Mair, Sctlr, Vbar;
            public ulong ExceptionStackTop, ExceptionDepth, StackTop, CpuIndex;
        }

        private static ulong s_identityRoot;

        /// <summary>A TTBR0 table mapping the kernel text at its physical address, for the instructions that turn the MMU on.</summary>
        private static ulong IdentityRoot()
        {
            if (s_identityRoot != 0) return s_identityRoot;
            ulong root = PageTables.CreateRoot();
            ulong phys = Kernel.Boot->KernelPhysicalBase;
            if (root == 0 || !PageTables.Map(root, phys, phys, Layout.TextEnd - Layout.KernelStart, PageAccess.Read | PageAccess.Execute))
                Panic.Fail("out of memory for the application processors' identity map");
            s_identityRoot = root;
            return root;
        }

        /// <summary>Cleans every table under <paramref name="table"/> (levels 0-2) to memory.</summary>
        private static void CleanTables(ulong table, int level)
        {
            ulong* t = (ulong*)FrameAllocator.ToVirtual(table);
            Native.CleanDataCache(t, 4096);
            if (level == 3) return;
            for (int i = 0; i < 512; i++)
                if ((t[i] & 3) == 3) CleanTables(t[i] & 0x0000FFFFFFFFF000, level + 1);
        }

        private static ulong Physical(ulong kernelVirtual) => kernelVirtual - Layout.KernelStart + Kernel.Boot->KernelPhysicalBase;

        public static bool Start(int index, ulong stackTop)
        {
            uint id = Machine.HardwareId(index);
            ulong frame = FrameAllocator.Allocate();
            ulong exceptionPhysical;
            ulong exceptionStack = Stacks.Allocate(ExceptionStackSize, out exceptionPhysical); // with a guard page
            if (frame == 0 || exceptionStack == 0) { Log.Warn("smp", $"no memory to start CPU {index}"); return false; }
            Stacks.Name(exceptionStack, ExceptionStackSize, "the exception stack (SP_EL1)", index);
            byte* page = (byte*)FrameAllocator.ToVirtual(frame);
            for (int i = 0; i < 4096; i++) page[i] = 0;
            var block = (ApStart*)page;
            block->Ttbr1 = KernelAddressSpace.Root;
            block->Tcr = Native.ReadTcr();
            block->Mair = Native.ReadMair();
            block->Sctlr = Native.ReadSctlr();
            block->Vbar = molt_vectors_address();
            block->ExceptionStackTop = exceptionStack + ExceptionStackSize;
            block->ExceptionDepth = (ulong)(page + 256); // a zeroed word in the same frame
            block->StackTop = stackTop;
            block->CpuIndex = (ulong)index;
            CpuLocal* cpu = Processors.Get(index);

            if (Kernel.Boot->LimineMp != 0)
            {
                Machine.LimineMpInfo* info = Machine.LimineInfo(id);
                if (info == null) { Log.Warn("smp", $"CPU {index} (MPIDR affinity {id:x}) is not in Limine's MP response"); return false; }
                info->ExtraArgument = (ulong)block;
                Volatile.Write(ref *(long*)&info->GotoAddress, (long)molt_limine_ap_entry_address());
            }
            else
            {
                block->Ttbr0 = IdentityRoot();
                Native.CleanDataCache(block, (ulong)sizeof(ApStart));
                CleanTables(block->Ttbr0, 0);
                long status = Machine.CpuOn(id, Physical(molt_ap_entry_address()), frame);
                if (status != 0)
                {
                    Log.Warn("smp", $"PSCI CPU_ON for CPU {index} (MPIDR affinity {id:x}) failed: {PsciError(status)}");
                    return false;
                }
            }
            ulong deadline = Clock.NanosecondsSinceBoot() + 1_000_000_000;
            while (Volatile.Read(in cpu->Online) == 0 && Clock.NanosecondsSinceBoot() < deadline) Hal.Cpu.Relax();
            return Volatile.Read(in cpu->Online) != 0;
        }

        private static string PsciError(long status)
        {
            switch (status)
            {
                case -1: return "NOT_SUPPORTED";
                case -2: return "INVALID_PARAMETERS";
                case -3: return "DENIED";
                case -4: return "ALREADY_ON";
                case -5: return "ON_PENDING";
                case -6: return "INTERNAL_FAILURE";
                case -9: return "INVALID_ADDRESS";
                default: return "error";
            }
        }

        [UnmanagedCallersOnly(EntryPoint = "molt_ap_main")]
        private static void Main(int index) => Processors.ApplicationProcessorMain(index);
    }
}
