using System.Diagnostics;
using Molt.QemuRunner;
using Xunit;

namespace Molt.Tests.Support;

/// <summary>
/// Builds boot images with the repository's own scripts (image/iso.sh,
/// image/usb.sh) into a private temporary folder, and finds UEFI firmware.
/// Limine is used only through LIMINE_DIR: the tests never clone it.
/// </summary>
public sealed class Images : IDisposable
{
    /// <summary>The folder the images are written to; deleted on dispose.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "molt-images-" + Guid.NewGuid().ToString("N"));

    public Images() => Directory.CreateDirectory(Folder);

    /// <summary>LIMINE_DIR when it names a folder with Limine's files, else null.</summary>
    public static string? LimineDir
    {
        get
        {
            string? d = Environment.GetEnvironmentVariable("LIMINE_DIR");
            return !string.IsNullOrEmpty(d) && File.Exists(Path.Combine(d, "limine-uefi-cd.bin")) ? d : null;
        }
    }

    /// <summary>Why Limine images can't be tested here, or null when they can.</summary>
    public static string? LimineUnavailable(QemuArch arch = QemuArch.X64) =>
        Repo.KernelUnavailable(arch) ?? (LimineDir == null ? "LIMINE_DIR is not set to Limine's prebuilt files (see docs/booting.md)" : null);

    /// <summary>Runs <c>image/SCRIPT.sh MODE ARCH KERNEL FOLDER CMDLINE</c> and returns the image's path.</summary>
    public async Task<string> BuildAsync(string script, string mode, string commandLine, QemuArch arch = QemuArch.X64, string? subfolder = null)
    {
        string outDir = subfolder == null ? Folder : Path.Combine(Folder, subfolder);
        Directory.CreateDirectory(outDir);
        var (status, output) = await RunScriptAsync(script, mode, arch, Repo.KernelElf(arch), outDir, commandLine, LimineDir);
        if (status != 0) throw new InvalidOperationException($"image/{script}.sh {mode} failed ({status}):\n{output}");
        string file = (script, mode) switch
        {
            ("iso", "grub") => "molt-grub.iso",
            ("iso", _) => "molt.iso",
            _ => "molt.img",
        };
        return Path.Combine(outDir, file);
    }

    /// <summary>Runs an image script with Limine from <paramref name="limineDir"/> (or a system install), never a clone.</summary>
    public static async Task<(int Status, string Output)> RunScriptAsync(
        string script, string mode, QemuArch arch, string kernel, string outDir, string commandLine, string? limineDir)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(Repo.Root, "image", script + ".sh"), mode, arch.ToName(), kernel, outDir, commandLine])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["LIMINE_FETCH"] = "0";
        psi.Environment["LIMINE_CLONE"] = Path.Combine(outDir, "no-limine-clone");
        if (limineDir != null) psi.Environment["LIMINE_DIR"] = limineDir;
        else psi.Environment.Remove("LIMINE_DIR");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>A private copy of the UEFI variable store for one boot.</summary>
    public string FirmwareVars(QemuArch arch = QemuArch.X64)
    {
        string copy = Path.Combine(Folder, $"vars-{Guid.NewGuid():N}.fd");
        File.Copy(Firmware.Vars(arch), copy);
        return copy;
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The Debian packages' UEFI firmware: OVMF (ovmf) for x64, AAVMF (qemu-efi-aarch64) for arm64.</summary>
public static class Firmware
{
    public static string Code(QemuArch arch) => arch == QemuArch.X64 ? "/usr/share/OVMF/OVMF_CODE_4M.fd" : "/usr/share/AAVMF/AAVMF_CODE.fd";
    public static string Vars(QemuArch arch) => arch == QemuArch.X64 ? "/usr/share/OVMF/OVMF_VARS_4M.fd" : "/usr/share/AAVMF/AAVMF_VARS.fd";

    /// <summary>Why UEFI boots can't run here, or null when they can.</summary>
    public static string? Unavailable(QemuArch arch = QemuArch.X64) =>
        File.Exists(Code(arch)) && File.Exists(Vars(arch)) ? null
            : $"{Code(arch)} is missing (bash image/deps.sh installs {(arch == QemuArch.X64 ? "ovmf" : "qemu-efi-aarch64")})";
}

/// <summary>A fact that boots a Limine image: skipped with the reason unless LIMINE_DIR is set and the kernel is built.</summary>
public sealed class LimineFactAttribute : FactAttribute
{
    public LimineFactAttribute() => Skip = Images.LimineUnavailable(QemuArch.X64);
}

/// <summary>A fact that boots under UEFI firmware: skipped with the reason when the kernel or OVMF is missing.</summary>
public sealed class UefiFactAttribute : FactAttribute
{
    public UefiFactAttribute() => Skip = Repo.KernelUnavailable(QemuArch.X64) ?? Firmware.Unavailable(QemuArch.X64);
}

/// <summary>A fact that boots a Limine image under UEFI.</summary>
public sealed class LimineUefiFactAttribute : FactAttribute
{
    public LimineUefiFactAttribute() => Skip = Images.LimineUnavailable(QemuArch.X64) ?? Firmware.Unavailable(QemuArch.X64);
}

/// <summary>An arm64 Limine image under AAVMF: needs an arm64 kernel, LIMINE_DIR and AAVMF.</summary>
public sealed class Arm64LimineFactAttribute : FactAttribute
{
    public Arm64LimineFactAttribute() => Skip = Images.LimineUnavailable(QemuArch.Arm64) ?? Firmware.Unavailable(QemuArch.Arm64);
}
