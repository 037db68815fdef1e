namespace Molt.QemuRunner;

/// <summary>
/// Finds the QEMU system emulator for an architecture: an explicit path, then
/// the MOLT_QEMU_X64 / MOLT_QEMU_ARM64 environment variables, then PATH. A
/// missing emulator is a <see cref="QemuNotFoundException"/> that says which
/// Debian package brings it, rather than a bare "file not found" from exec.
/// </summary>
public static class QemuLocator
{
    /// <summary>The emulator's executable name for an architecture.</summary>
    public static string BinaryName(QemuArch arch) => arch switch
    {
        QemuArch.X64 => "qemu-system-x86_64",
        QemuArch.Arm64 => "qemu-system-aarch64",
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, null),
    };

    /// <summary>The Debian package that installs <see cref="BinaryName"/>.</summary>
    public static string DebianPackage(QemuArch arch) => arch == QemuArch.X64 ? "qemu-system-x86" : "qemu-system-arm";

    /// <summary>The environment variable that overrides the emulator's path.</summary>
    public static string EnvironmentVariable(QemuArch arch) => $"MOLT_QEMU_{arch.ToName().ToUpperInvariant()}";

    /// <summary>
    /// The emulator's full path; throws <see cref="QemuNotFoundException"/> if there is none.
    /// <paramref name="searchPath"/> replaces $PATH (for tests).
    /// </summary>
    public static string Locate(QemuArch arch, string? explicitPath = null, string? searchPath = null)
    {
        string? chosen = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable(arch));
        if (!string.IsNullOrEmpty(chosen))
        {
            if (File.Exists(chosen)) return Path.GetFullPath(chosen);
            var onPath = SearchPath(chosen, searchPath);
            if (onPath != null) return onPath;
            throw new QemuNotFoundException($"QEMU for {arch.ToName()} not found at '{chosen}'");
        }
        return SearchPath(BinaryName(arch), searchPath) ?? throw new QemuNotFoundException(
            $"{BinaryName(arch)} not found on PATH: install the Debian package {DebianPackage(arch)} " +
            $"(bash image/deps.sh {arch.ToName()}) or set {EnvironmentVariable(arch)}");
    }

    /// <summary>True if <see cref="Locate"/> would succeed.</summary>
    public static bool IsAvailable(QemuArch arch)
    {
        try { Locate(arch); return true; }
        catch (QemuNotFoundException) { return false; }
    }

    private static string? SearchPath(string name, string? searchPath)
    {
        if (name.Contains('/')) return File.Exists(name) ? Path.GetFullPath(name) : null;
        foreach (var dir in (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
