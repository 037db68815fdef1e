using System.Diagnostics;
using System.Text.RegularExpressions;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The boot images of docs/booting.md, built with image/iso.sh and
/// image/usb.sh and booted under SeaBIOS and OVMF (UEFI, 5-8 s a boot, so
/// each image boots once per firmware). GRUB images always run; Limine
/// images run when LIMINE_DIR is set and are skipped with the reason
/// otherwise. The images ship the release kernel (molt.elf, without the
/// in-kernel tests): each boots with <c>exit</c> and must get ready on its
/// protocol and leave with the passing status. (The in-kernel suite through
/// a boot image: PlatformTests' GRUB ISO, built from molt-test.elf.)
/// </summary>
public class ImageTests
{
    private static async Task BootsAndPasses(string image, string protocol, Images images, bool uefi, QemuArch arch = QemuArch.X64)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            ImagePath = image,
            FirmwarePath = uefi ? Support.Firmware.Code(arch) : null,
            FirmwareVarsPath = uefi ? images.FirmwareVars(arch) : null,
            Timeout = TimeSpan.FromSeconds(120),
        });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains($"boot: protocol {protocol}"));
        Assert.True(r.Serial.Ready, r.Describe());
        Assert.Contains(r.SerialLines, l => Regex.IsMatch(l, @"boot: Molt ready in \d+ ms$"));
    }

    // ---- GRUB: always (no Limine needed) ----

    [UefiFact]
    public async Task The_GRUB_ISO_boots_under_OVMF_and_gets_ready()
    {
        using var images = new Images();
        string iso = await images.BuildAsync("iso", "grub", "exit");
        await BootsAndPasses(iso, "multiboot2", images, uefi: true);
    }

    [UefiFact]
    public async Task The_GRUB_USB_image_boots_from_a_disk_under_OVMF_and_gets_ready()
    {
        using var images = new Images();
        string img = await images.BuildAsync("usb", "grub", "exit");
        Assert.EndsWith(".img", img);
        await BootsAndPasses(img, "multiboot2", images, uefi: true);
    }

    [KernelFact]
    public async Task The_GRUB_ISO_and_USB_image_boot_under_SeaBIOS_and_get_ready()
    {
        using var images = new Images();
        await BootsAndPasses(await images.BuildAsync("iso", "grub", "exit", subfolder: "iso"), "multiboot2", images, uefi: false);
        await BootsAndPasses(await images.BuildAsync("usb", "grub", "exit", subfolder: "usb"), "multiboot2", images, uefi: false);
    }

    // ---- Limine: with LIMINE_DIR ----

    [LimineFact]
    public async Task The_Limine_ISO_and_USB_image_boot_under_SeaBIOS_and_get_ready()
    {
        using var images = new Images();
        await BootsAndPasses(await images.BuildAsync("iso", "limine", "exit", subfolder: "iso"), "limine", images, uefi: false);
        await BootsAndPasses(await images.BuildAsync("usb", "limine", "exit", subfolder: "usb"), "limine", images, uefi: false);
    }

    [LimineUefiFact]
    public async Task The_Limine_ISO_boots_under_OVMF_and_gets_ready()
    {
        using var images = new Images();
        await BootsAndPasses(await images.BuildAsync("iso", "limine", "exit"), "limine", images, uefi: true);
    }

    [LimineUefiFact]
    public async Task The_Limine_USB_image_boots_from_a_disk_under_OVMF_and_gets_ready()
    {
        using var images = new Images();
        await BootsAndPasses(await images.BuildAsync("usb", "limine", "exit"), "limine", images, uefi: true);
    }

    [Arm64LimineFact]
    public async Task The_arm64_Limine_USB_image_boots_under_AAVMF_and_gets_ready()
    {
        using var images = new Images();
        await BootsAndPasses(await images.BuildAsync("usb", "limine", "exit", QemuArch.Arm64), "limine", images, uefi: true, QemuArch.Arm64);
    }

    // ---- the image scripts themselves ----

    [BuiltKernelFact]
    public async Task Without_Limine_an_arm64_image_says_Limine_is_required_and_how_to_get_it()
    {
        using var images = new Images();
        // Any existing file does as the kernel: the script stops before reading it.
        var (status, output) = await Images.RunScriptAsync("usb", "auto", QemuArch.Arm64, Repo.KernelElf(QemuArch.X64), images.Folder, "", limineDir: null);
        if (output.Contains("from system install")) return; // a system-wide Limine makes this case moot
        Assert.NotEqual(0, status);
        Assert.Contains("Limine is required for arm64 images", output);
        Assert.Contains("LIMINE_DIR", output);
        Assert.Contains("v8.x-binary", output);
        Assert.False(File.Exists(Path.Combine(images.Folder, "molt.img")));
    }

    [BuiltKernelFact]
    public async Task Without_Limine_the_x64_USB_image_falls_back_to_GRUB_and_says_so_in_one_line()
    {
        using var images = new Images();
        var (status, output) = await Images.RunScriptAsync("usb", "auto", QemuArch.X64, Repo.KernelElf(QemuArch.X64), images.Folder, "exit", limineDir: null);
        Assert.True(status == 0, output);
        if (output.Contains("from system install")) return;
        var lines = output.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Matches(@"^usb: GRUB .* -> .*molt\.img \(cmdline ""exit""\); no Limine \(.*\), so GRUB$", lines[0]);
    }

    [BuiltKernelFact]
    public async Task Every_image_is_reproducible_byte_for_byte()
    {
        string work = Path.Combine(Path.GetTempPath(), "molt-repro-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo("bash", [Path.Combine(Repo.Root, "image", "repro-check.sh"), "x64", Repo.KernelElf(QemuArch.X64), work, "exit"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["LIMINE_FETCH"] = "0";
        using var p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, output);
        Assert.Contains("repro: same bytes: grub iso", output);
        Assert.Contains("repro: same bytes: grub usb", output);
        if (Images.LimineDir != null)
        {
            Assert.Contains("repro: same bytes: limine iso", output);
            Assert.Contains("repro: same bytes: limine usb", output);
        }
    }
}
