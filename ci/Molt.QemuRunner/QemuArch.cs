namespace Molt.QemuRunner;

/// <summary>
/// The guest architectures Molt boots on. Each one has its own QEMU binary,
/// machine and exit convention (see <see cref="ExitStatus"/>).
/// </summary>
public enum QemuArch
{
    /// <summary>x86-64 on the q35 machine; exits through the isa-debug-exit port.</summary>
    X64,

    /// <summary>AArch64 on the virt machine with a GIC; exits through semihosting SYS_EXIT.</summary>
    Arm64,
}

/// <summary>Names of architectures as the build tree and command lines spell them.</summary>
public static class QemuArchNames
{
    /// <summary>The name used in build/&lt;arch&gt;/ and in <c>make ARCH=</c>.</summary>
    public static string ToName(this QemuArch arch) => arch switch
    {
        QemuArch.X64 => "x64",
        QemuArch.Arm64 => "arm64",
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, null),
    };

    /// <summary>Parses <c>x64</c> or <c>arm64</c> (any case); false for anything else.</summary>
    public static bool TryParse(string text, out QemuArch arch)
    {
        switch (text.ToLowerInvariant())
        {
            case "x64": case "x86_64": case "amd64": arch = QemuArch.X64; return true;
            case "arm64": case "aarch64": arch = QemuArch.Arm64; return true;
            default: arch = default; return false;
        }
    }
}
