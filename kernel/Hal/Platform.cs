namespace Molt.Hal
{
    /// <summary>Kinds of inter-processor interrupt the kernel sends.</summary>
    public enum IpiKind
    {
        /// <summary>Run the scheduler: a thread was queued on that CPU.</summary>
        Reschedule = 0,
        /// <summary>Run the function in that CPU's call mailbox.</summary>
        Call = 1,
        /// <summary>Flush TLB entries named in the shoot-down request.</summary>
        TlbShootdown = 2,
    }

    /// <summary>
    /// Machine-level bring-up the kernel asks of each arch: discovering
    /// CPUs and interrupt controllers (ACPI MADT / device tree), the
    /// per-CPU set-up every CPU runs for itself, starting application
    /// processors, and IPIs. CPUs are named by index (0 = boot CPU).
    /// </summary>
    public static unsafe partial class Platform
    {
        /// <summary>
        /// Boot CPU, once the kernel's page tables and frame allocator exist and
        /// before the screen console attaches: a display the loader did not set up
        /// that the platform can (arm64: QEMU's ramfb) fills the framebuffer fields of <paramref name="boot"/>.
        /// </summary>
        public static partial void PrepareScreen(Boot.BootInfo* boot);

        /// <summary>Finds the CPUs and interrupt controllers; returns how many CPUs exist (at least 1).</summary>
        public static partial int DiscoverCpus();

        /// <summary>Boot CPU, once: the interrupt controllers and the timer calibration.</summary>
        public static partial void InitializeInterrupts();

        /// <summary>Every CPU for itself, with its CpuLocal installed: descriptor tables, local interrupt controller, and the periodic tick at <paramref name="tickHz"/>.</summary>
        public static partial void InitializeThisCpu(Smp.CpuLocal* cpu, uint tickHz);

        /// <summary>Starts CPU <paramref name="index"/> on <paramref name="stackTop"/>; it enters Processors.ApplicationProcessorMain. Returns false if it did not come up within the time-out.</summary>
        public static partial bool StartCpu(int index, Smp.CpuLocal* cpu, ulong stackTop);

        public static partial void SendIpi(int cpuIndex, IpiKind kind);

        /// <summary>The first vector free for device interrupts and software use.</summary>
        public static partial int FirstDeviceVector();

        /// <summary>Raises <paramref name="vector"/> on the calling CPU (a self-IPI), as a device would.</summary>
        public static partial void RaiseOnThisCpu(int vector);

        /// <summary>The hardware id (APIC id, MPIDR affinity) of CPU <paramref name="index"/>.</summary>
        public static partial uint HardwareId(int index);

        /// <summary>How <see cref="StartCpu"/> starts CPUs, for the log: "INIT-SIPI-SIPI", "PSCI CPU_ON", or the loader's MP protocol.</summary>
        public static partial string StartMethod();
    }
}
