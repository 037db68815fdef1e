namespace Molt.QemuRunner;

/// <summary>
/// Everything that decides how one QEMU boot is made. A record so a test or
/// a configuration table can derive variants with <c>with { ... }</c>.
/// Exactly one of <see cref="KernelPath"/> and <see cref="ImagePath"/> is set.
/// </summary>
public sealed record QemuRunOptions
{
    /// <summary>Guest architecture; picks the QEMU binary, machine and exit convention.</summary>
    public QemuArch Arch { get; init; } = QemuArch.X64;

    /// <summary>A kernel ELF booted directly with <c>-kernel</c> (PVH on x64, Linux-style on arm64).</summary>
    public string? KernelPath { get; init; }

    /// <summary>
    /// An ISO (attached as a CD-ROM) or a raw disk image (attached as a drive)
    /// that firmware boots, instead of <see cref="KernelPath"/>.
    /// </summary>
    public string? ImagePath { get; init; }

    /// <summary>The kernel command line (<c>-append</c>); only meaningful with <see cref="KernelPath"/>.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Virtual CPUs (<c>-smp</c>).</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Guest memory in MiB (<c>-m</c>).</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>GIC version of the arm64 virt machine; ignored on x64.</summary>
    public int GicVersion { get; init; } = 3;

    /// <summary>
    /// UEFI firmware code image (for example OVMF_CODE_4M.fd or AAVMF_CODE.fd),
    /// mapped read-only as the first pflash device. Null boots without firmware.
    /// </summary>
    public string? FirmwarePath { get; init; }

    /// <summary>
    /// Writable UEFI variable store for the second pflash device; the caller
    /// passes a private copy, since the guest writes to it.
    /// </summary>
    public string? FirmwareVarsPath { get; init; }

    /// <summary>
    /// A network card (restricted user networking, modern virtio-net, optional
    /// loopback forwards); null boots without one.
    /// </summary>
    public QemuNic? Nic { get; init; }

    /// <summary>
    /// The boot module (QEMU -initrd), with <see cref="KernelPath"/>: a cpio
    /// archive of patch bundles (docs/patching.md). On arm64 QEMU passes it
    /// only to an Image (molt.img / molt-test.img), not to an ELF.
    /// </summary>
    public string? InitrdPath { get; init; }

    /// <summary>Arguments appended after the generated ones, for what the options above don't cover.</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>
    /// How long QEMU may run before it is killed and the run is
    /// <see cref="QemuOutcome.TimedOut"/>. A kernel that never exits must not hang CI.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The QEMU executable to run; null looks it up on PATH (see <see cref="QemuLocator"/>).</summary>
    public string? QemuBinary { get; init; }

    /// <summary>A short name for messages, such as <c>x64 smp1</c> or <c>arm64 smp2 gicv2</c>.</summary>
    public string Label => Arch == QemuArch.Arm64 ? $"{Arch.ToName()} smp{Cpus} gicv{GicVersion}" : $"{Arch.ToName()} smp{Cpus}";
}
