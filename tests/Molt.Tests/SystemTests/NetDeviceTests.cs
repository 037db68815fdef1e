using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Boots with several network cards: every modern virtio-net is driven
/// (each with its own MAC and interrupt), <c>net.dev=N</c> picks the stack's
/// device, and a transitional card is named and skipped, not half-driven.
/// </summary>
public class NetDeviceTests
{
    private static QemuRunOptions Boot(QemuArch arch, string commandLine, params string[] extra) => new()
    {
        Arch = arch,
        KernelPath = Repo.KernelElf(arch),
        CommandLine = commandLine,
        Nic = QemuNic.UserRestricted(),
        ExtraArgs = extra,
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static readonly string[] SecondNic =
        ["-netdev", "user,id=n1,restrict=on", "-device", "virtio-net-pci,netdev=n1,disable-legacy=on"];

    private static async Task TwoCardsAndNetDev(QemuArch arch, string secondInterrupt)
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Boot(arch, "net.dev=1 exit", SecondNic));
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        var cards = r.SerialLines.Where(l => l.Contains("virtio-net: mac ")).ToList();
        Assert.Equal(2, cards.Count);
        Assert.Contains("mac 52:54:00:12:34:56", cards[0]);
        Assert.Contains("mac 52:54:00:12:34:57", cards[1]);
        Assert.Contains(secondInterrupt, cards[1]);
        Assert.Contains(r.SerialLines, l => l.Contains("net: net.dev=1: using device 1 of 2"));
        Assert.Equal(2, r.SerialLines.Count(l => l.Contains(" 1af4:1041 virtio-net")));
    }

    [KernelFact]
    public Task X64_drives_two_cards_each_with_its_own_msix_vector_and_net_dev_picks_one()
        => TwoCardsAndNetDev(QemuArch.X64, "msix 65");

    [Arm64KernelFact]
    public Task Arm64_drives_two_cards_on_their_swizzled_intx_lines_and_net_dev_picks_one()
        => TwoCardsAndNetDev(QemuArch.Arm64, "intx 37"); // slot 2, INTA: SPI 3 + (2 + 0) % 4

    [KernelFact]
    public async Task A_transitional_card_is_named_and_skipped_and_a_bad_net_dev_warns()
    {
        var r = await QemuRunner.QemuRunner.RunAsync(Boot(QemuArch.X64, "net.dev=5 exit",
            "-netdev", "user,id=n1,restrict=on", "-device", "virtio-net-pci,netdev=n1"));
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l.Contains("1af4:1000 virtio-net (transitional)"));
        Assert.Contains(r.SerialLines, l => l.Contains("is a transitional device (1af4:1000)") && l.Contains("disable-legacy=on"));
        Assert.Single(r.SerialLines, l => l.Contains("virtio-net: mac "));
        Assert.Contains(r.SerialLines, l => l.Contains("net: warning: net.dev=5 names no device (1 found); using device 0"));
    }
}
