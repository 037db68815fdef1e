using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The kernel log on screen: boot an image whose loader sets a graphics
/// mode, take a QEMU screendump once the kernel is ready (or has panicked),
/// and read the screen back with the kernel's own font. GRUB under SeaBIOS
/// always runs; the Limine ISO runs when LIMINE_DIR is set; arm64 boots
/// directly with QEMU's ramfb, which the kernel configures itself.
/// </summary>
public class ScreenTests
{
    private static QemuRunOptions Iso(string path) => new()
    {
        Arch = QemuArch.X64,
        ImagePath = path,
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static async Task<IReadOnlyList<string>> ScreenTextAsync(Images images, string iso, string trigger)
    {
        var (result, screen) = await Screen.CaptureAsync(Iso(iso), trigger, images.Folder);
        Assert.True(screen != null, $"no screendump: \"{trigger}\" never appeared\n{result.Describe()}");
        var text = screen!.Text();
        Assert.True(text.Count > 0);
        return text;
    }

    private static string Show(IReadOnlyList<string> lines) =>
        "screen:\n" + string.Join('\n', lines.Where(l => l.Length > 0).Select(l => "  | " + l));

    [KernelFact]
    public async Task The_log_appears_on_the_GRUB_framebuffer_under_SeaBIOS()
    {
        using var images = new Images();
        string iso = await images.BuildAsync("iso", "grub", "");
        var text = await ScreenTextAsync(images, iso, "Molt ready");
        Assert.True(text.Contains("Molt x86_64 booting"), Show(text));
        Assert.True(text.Contains("Molt ready"), Show(text));
        Assert.True(text.Any(l => l.Contains("] boot: protocol multiboot2, timestamp ")), Show(text));
        Assert.True(text.Any(l => l.Contains("] screen: 1024x768, 32 bits per pixel at physical ")), Show(text));
    }

    [KernelFact]
    public async Task A_panic_is_visible_on_screen()
    {
        using var images = new Images();
        string iso = await images.BuildAsync("iso", "grub", "fault=null halt-on-panic");
        var text = await ScreenTextAsync(images, iso, "System halted.");
        Assert.True(text.Any(l => l.StartsWith("PANIC: NullReferenceException: ", StringComparison.Ordinal)), Show(text));
        Assert.True(text.Contains("Backtrace:"), Show(text));
        Assert.True(text.Contains("System halted."), Show(text));
    }

    [LimineFact]
    public async Task The_log_appears_on_the_Limine_framebuffer_under_SeaBIOS()
    {
        using var images = new Images();
        string iso = await images.BuildAsync("iso", "limine", "");
        var text = await ScreenTextAsync(images, iso, "Molt ready");
        Assert.True(text.Contains("Molt x86_64 booting"), Show(text));
        Assert.True(text.Contains("Molt ready"), Show(text));
        Assert.True(text.Any(l => l.Contains("] boot: protocol limine, timestamp ")), Show(text));
    }

    /// <summary>
    /// arm64: QEMU virt has no display unless one is added; with <c>-device ramfb</c>
    /// the kernel sets the framebuffer up itself through fw_cfg (hal-arm64/Ramfb.cs)
    /// on a direct boot, and the log appears on it as on x86-64.
    /// </summary>
    [Arm64KernelFact]
    public async Task On_arm64_the_log_appears_on_the_ramfb_framebuffer()
    {
        using var images = new Images();
        var options = new QemuRunOptions
        {
            Arch = QemuArch.Arm64,
            KernelPath = Repo.KernelElf(QemuArch.Arm64),
            ExtraArgs = ["-device", "ramfb"],
            Timeout = TimeSpan.FromSeconds(60),
        };
        var (result, screen) = await Screen.CaptureAsync(options, "Molt ready", images.Folder);
        Assert.True(screen != null, $"no screendump: \"Molt ready\" never appeared\n{result.Describe()}");
        var text = screen!.Text();
        // The screen starts once the kernel's page tables exist (the lines before it are on the serial console only).
        Assert.Contains(result.SerialLines, l => l.Contains("] screen: ramfb through fw_cfg at 9020000"));
        Assert.True(text.Any(l => l.Contains("] screen: 1024x768, 32 bits per pixel at physical ")), Show(text));
        Assert.True(text.Any(l => l.Contains("] smp: 1 CPUs online")), Show(text));
        Assert.True(text.Contains("Molt ready"), Show(text));
    }

    [Arm64KernelFact]
    public async Task On_arm64_without_a_display_device_nothing_is_set_up()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = QemuArch.Arm64,
            KernelPath = Repo.KernelElf(QemuArch.Arm64),
            CommandLine = "exit",
            Timeout = TimeSpan.FromSeconds(60),
        });
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.DoesNotContain(r.SerialLines, l => l.Contains("] screen: "));
    }

    [Fact]
    public void Every_printable_character_has_its_own_glyph()
    {
        var seen = new Dictionary<string, char>();
        for (char c = (char)Molt.Console.Font.First; c <= (char)Molt.Console.Font.Last; c++)
        {
            string key = Convert.ToHexString(Screen.Cell(c));
            Assert.False(seen.TryGetValue(key, out char other), $"'{c}' and '{other}' look the same");
            seen[key] = c;
            if (c != ' ') Assert.Contains(Screen.Cell(c), b => b != 0);
        }
        Assert.Equal(Screen.Cell('?'), Screen.Cell('\u00e9'));
    }
}
