using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Support;

/// <summary>
/// A fact that boots the real kernel: skipped, with the reason, when the ELF
/// is not built or QEMU is missing, so the host suite still runs on a bare
/// checkout. (xunit 2 has no run-time skip; setting Skip here is its way.)
/// </summary>
public sealed class KernelFactAttribute : FactAttribute
{
    /// <summary>Skips unless build/x64/molt.elf and QEMU are there.</summary>
    public KernelFactAttribute() => Skip = Repo.KernelUnavailable(QemuArch.X64);
}

/// <summary>The theory form of <see cref="KernelFactAttribute"/>.</summary>
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless build/x64/molt.elf and QEMU are there.</summary>
    public KernelTheoryAttribute() => Skip = Repo.KernelUnavailable(QemuArch.X64);
}

/// <summary>
/// A fact that reads build/x64/molt.elf (and <c>ksyms.bin</c> beside it) without
/// booting it: skipped with the reason when <c>make</c> has not been run.
/// </summary>
public sealed class BuiltKernelFactAttribute : FactAttribute
{
    /// <summary>Skips unless build/x64/molt.elf and build/x64/ksyms.bin exist.</summary>
    public BuiltKernelFactAttribute()
    {
        if (!File.Exists(Repo.KernelElf(QemuArch.X64)) || !File.Exists(Path.Combine(Repo.Root, "build", "x64", "ksyms.bin")))
            Skip = "build/x64/molt.elf is not built (run make)";
    }
}

/// <summary>A fact that boots the arm64 kernel: skipped, with the reason, unless build/arm64/molt.elf and qemu-system-aarch64 are there.</summary>
public sealed class Arm64KernelFactAttribute : FactAttribute
{
    /// <summary>Skips unless build/arm64/molt.elf and QEMU are there.</summary>
    public Arm64KernelFactAttribute() => Skip = Repo.KernelUnavailable(QemuArch.Arm64);
}

/// <summary>The theory form of <see cref="Arm64KernelFactAttribute"/>.</summary>
public sealed class Arm64KernelTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless build/arm64/molt.elf and QEMU are there.</summary>
    public Arm64KernelTheoryAttribute() => Skip = Repo.KernelUnavailable(QemuArch.Arm64);
}
