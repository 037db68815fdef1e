using Molt.QemuRunner;

namespace Molt.TestDriver;

/// <summary>One way of booting the in-kernel suite: an architecture, a CPU count and (arm64) a GIC version.</summary>
/// <param name="Arch">Guest architecture; the ELF is the test kernel, build/&lt;arch&gt;/molt-test.elf.</param>
/// <param name="Cpus">Virtual CPUs.</param>
/// <param name="GicVersion">The arm64 virt machine's interrupt controller (<c>-M virt,gic-version=N</c>); ignored on x64.</param>
/// <param name="Nic">Boot with the NIC <c>make run</c> has (<see cref="QemuNic"/>, no forwards), which the pci.* and virtio.* tests need.</param>
public sealed record KernelConfiguration(QemuArch Arch, int Cpus, int GicVersion = 3, bool Nic = true)
{
    /// <summary>The prefix of this configuration's output lines, such as <c>x64 smp1</c> or <c>arm64 smp2 gicv2</c>.</summary>
    public string Name => Arch == QemuArch.Arm64 ? $"{Arch.ToName()} smp{Cpus} gicv{GicVersion}" : $"{Arch.ToName()} smp{Cpus}";

    /// <summary>The kernel this configuration boots, relative to the repository root: the test kernel (the release molt.elf has no tests).</summary>
    public string ElfPath => $"build/{Arch.ToName()}/molt-test.elf";

    /// <summary>
    /// Every configuration <c>make test</c> runs, in order. Adding one is one
    /// line; a row whose ELF has not been built is reported as skipped.
    /// </summary>
    public static readonly IReadOnlyList<KernelConfiguration> All =
    [
        new(QemuArch.X64, Cpus: 1),
        new(QemuArch.X64, Cpus: 2),
        new(QemuArch.X64, Cpus: 4),
        new(QemuArch.Arm64, Cpus: 1, GicVersion: 3),
        new(QemuArch.Arm64, Cpus: 4, GicVersion: 3),
        new(QemuArch.Arm64, Cpus: 2, GicVersion: 2),
    ];
}
