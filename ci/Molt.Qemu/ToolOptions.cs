using System.Globalization;
using Molt.QemuRunner;

namespace Molt.Qemu;

/// <summary>What molt-qemu does: boot on this terminal (run, debug) or run the benchmarks and collect their rows (bench).</summary>
public enum ToolMode { Run, Debug, Bench }

/// <summary>molt-qemu's command line, parsed once; <see cref="Usage"/> is what --help prints.</summary>
public sealed record ToolOptions
{
    /// <summary>Printed by --help and after a usage error.</summary>
    public const string Usage = """
        usage: molt-qemu run|debug|bench --arch ARCH --kernel ELF [options]
        Boots a Molt kernel in QEMU with the arguments ci/Molt.QemuRunner builds (the
        same as make test's), then says what the kernel's exit status means.
          run              serial console on this terminal (quit with Ctrl-A X)
          debug            the same, halted, waiting for gdb on :1234
          bench            boots with "bench", shows the console without its BENCH
                           lines, writes them as JSON, fails unless the run passed

          --arch ARCH      x64 or arm64
          --kernel ELF     the kernel to boot
          --cmdline TEXT   the kernel command line (run, debug)
          --cpus N         virtual CPUs (default 1)
          --gic N          the arm64 virt machine's GIC version (default 3)
          --initrd FILE    a boot module: a cpio archive of patch bundles (patch.apply=MS applies them)
          --forward H:G    forward 127.0.0.1:H to the guest's TCP port G (run, debug; repeatable;
                           default 8080:8080 and 7777:7777)
          --no-nic         boot without the virtio-net card
          --filter PREFIX  bench: only benchmarks whose names start with PREFIX
          --timeout SEC    bench: time-out of the boot (default 300)
          --log FILE       bench: the whole console
          --json FILE      bench: one JSON object per BENCH line
          -h, --help       this text
        """;

    public ToolMode Mode { get; init; }
    public QemuArch Arch { get; init; }
    public string Kernel { get; init; } = "";
    public string CommandLine { get; init; } = "";
    public int Cpus { get; init; } = 1;
    public int GicVersion { get; init; } = 3;
    public string? BenchFilter { get; init; }
    public int TimeoutSeconds { get; init; } = 300;
    public string? LogPath { get; init; }
    public string? JsonPath { get; init; }
    public bool Help { get; init; }
    public string? Initrd { get; init; }
    public bool NoNic { get; init; }
    public IReadOnlyList<QemuPortForward>? Forwards { get; init; }

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static ToolOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count > 0 && args[0] is "-h" or "--help") return new ToolOptions { Help = true };
        if (args.Count == 0) throw new ArgumentException("missing the mode: run, debug or bench");
        var o = new ToolOptions
        {
            Mode = args[0] switch
            {
                "run" => ToolMode.Run,
                "debug" => ToolMode.Debug,
                "bench" => ToolMode.Bench,
                _ => throw new ArgumentException($"unknown mode '{args[0]}': run, debug or bench"),
            },
        };
        bool archSet = false;
        for (int i = 1; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            int Number(int min, int max)
            {
                string v = Value();
                if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
                    throw new ArgumentException($"{a} {v}: expected a number from {min} to {max}");
                return n;
            }
            switch (a)
            {
                case "--arch":
                    string arch = Value();
                    o = o with { Arch = arch switch { "x64" => QemuArch.X64, "arm64" => QemuArch.Arm64, _ => throw new ArgumentException($"--arch {arch}: x64 or arm64") } };
                    archSet = true;
                    break;
                case "--kernel": o = o with { Kernel = Value() }; break;
                case "--cmdline": o = o with { CommandLine = Value() }; break;
                case "--cpus": o = o with { Cpus = Number(1, 255) }; break;
                case "--gic": o = o with { GicVersion = Number(2, 4) }; break;
                case "--filter": o = o with { BenchFilter = Value() }; break;
                case "--timeout": o = o with { TimeoutSeconds = Number(1, 86400) }; break;
                case "--log": o = o with { LogPath = Value() }; break;
                case "--initrd": o = o with { Initrd = Value() }; break;
                case "--no-nic": o = o with { NoNic = true }; break;
                case "--forward":
                    {
                        string v = Value();
                        string[] hg = v.Split(':');
                        if (hg.Length != 2 || !int.TryParse(hg[0], out int h) || !int.TryParse(hg[1], out int g) || h is < 1 or > 65535 || g is < 1 or > 65535)
                            throw new ArgumentException($"--forward: '{v}' is not HOSTPORT:GUESTPORT");
                        o = o with { Forwards = [.. (o.Forwards ?? []), new QemuPortForward(h, g)] };
                        break;
                    }
                case "--json": o = o with { JsonPath = Value() }; break;
                case "-h" or "--help": return new ToolOptions { Help = true };
                default: throw new ArgumentException($"unknown option '{a}'");
            }
        }
        if (!archSet) throw new ArgumentException("--arch is required");
        if (o.Kernel.Length == 0) throw new ArgumentException("--kernel is required");
        if (o.Mode == ToolMode.Bench && o.CommandLine.Length > 0) throw new ArgumentException("bench sets the command line itself; use --filter");
        return o;
    }

    /// <summary>The kernel command line this mode boots with.</summary>
    public string KernelCommandLine => Mode == ToolMode.Bench
        ? "bench" + (string.IsNullOrEmpty(BenchFilter) ? "" : $" bench.filter={BenchFilter}")
        : CommandLine;

    /// <summary>The typed QEMU options: the one place the arguments come from.</summary>
    public QemuRunOptions ToRunOptions() => new()
    {
        Arch = Arch,
        KernelPath = Kernel,
        CommandLine = KernelCommandLine,
        Cpus = Cpus,
        GicVersion = GicVersion,
        ExtraArgs = Mode == ToolMode.Debug ? ["-s", "-S"] : [],
        InitrdPath = Initrd,
        // make run and debug: the service ports on 127.0.0.1; bench: the card without forwards.
        Nic = NoNic ? null : Mode == ToolMode.Bench ? QemuNic.UserRestricted()
            : QemuNic.UserRestricted([.. Forwards ?? [new QemuPortForward(8080, 8080), new QemuPortForward(7777, 7777)]]),
        Timeout = Mode == ToolMode.Bench ? TimeSpan.FromSeconds(TimeoutSeconds) : TimeSpan.FromDays(365),
    };
}
