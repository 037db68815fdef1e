using Molt.QemuRunner;

namespace Molt.TestDriver;

/// <summary>One way of booting the in-kernel suite: an architecture and a CPU count.</summary>
/// <param name="Arch">Guest architecture; the ELF is build/&lt;arch&gt;/molt.elf.</param>
/// <param name="Cpus">Virtual CPUs.</param>
public sealed record KernelConfiguration(QemuArch Arch, int Cpus)
{
    /// <summary>The prefix of this configuration's output lines, such as <c>x64 smp1</c>.</summary>
    public string Name => $"{Arch.ToName()} smp{Cpus}";

    /// <summary>The kernel this configuration boots, relative to the repository root.</summary>
    public string ElfPath => $"build/{Arch.ToName()}/molt.elf";

    /// <summary>
    /// Every configuration <c>make test</c> runs, in order. Adding one is one
    /// line; a row whose ELF has not been built is reported as skipped.
    /// </summary>
    public static readonly IReadOnlyList<KernelConfiguration> All =
    [
        new(QemuArch.X64, Cpus: 1),
        new(QemuArch.X64, Cpus: 2),
        new(QemuArch.X64, Cpus: 4),
        new(QemuArch.Arm64, Cpus: 1),
    ];
}
