using System.Diagnostics;
using System.Security.Cryptography;
using System.Xml.Linq;
using Molt.Update.Bundles;

namespace Molt.Cli.Patches;

/// <summary>
/// The kernel tree a patch is built against: its bflat.props (the flags the
/// kernel was compiled with), build/&lt;arch&gt;/molt.dll and molt.elf, its
/// build id, and the compilers (Roslyn's csc from the .NET SDK, the pinned
/// ilc from the NuGet cache, as the Makefile finds them).
/// </summary>
public sealed class Toolchain
{
    public string Root { get; }
    public string IlcVersion { get; }
    public string SystemModule { get; }
    public string CscFlags { get; }
    public string IlcFlags { get; }
    /// <summary>Which kernel of the tree patches are built for: "release" (molt.elf, what make run boots) or "test" (molt-test.elf).</summary>
    public string Kernel { get; set; } = "release";
    private readonly Dictionary<string, string> _ilcArchFlags = new();

    private Toolchain(string root, XElement group)
    {
        Root = root;
        string Prop(string name) => group.Element(name)?.Value.Trim()
            ?? throw new CliError($"{Path.Combine(root, "bflat.props")} has no <{name}>");
        IlcVersion = Prop("IlcVersion");
        SystemModule = Prop("SystemModule");
        CscFlags = Prop("CscFlags").Replace("$(MOLT_ROOT)", root);
        IlcFlags = Prop("IlcFlags");
        foreach (string arch in new[] { "x64", "arm64" }) _ilcArchFlags[arch] = Prop("IlcArchFlags_" + arch);
    }

    /// <summary>The tree at <paramref name="root"/>, else $MOLT_ROOT, else the nearest folder above the current one holding bflat.props.</summary>
    public static Toolchain Find(string? root)
    {
        root ??= Environment.GetEnvironmentVariable("MOLT_ROOT");
        if (string.IsNullOrEmpty(root))
        {
            for (string? d = Directory.GetCurrentDirectory(); d != null; d = Path.GetDirectoryName(d))
                if (File.Exists(Path.Combine(d, "bflat.props"))) { root = d; break; }
            if (root == null) throw new CliError("no Molt tree found: no bflat.props in this folder or above (use --root or MOLT_ROOT)");
        }
        root = Path.GetFullPath(root);
        string props = Path.Combine(root, "bflat.props");
        if (!File.Exists(props)) throw new CliError($"{props} does not exist (is {root} a Molt tree?)");
        XElement group = XDocument.Load(props).Root?.Element("PropertyGroup")
            ?? throw new CliError($"{props} has no <PropertyGroup>");
        return new Toolchain(root, group);
    }

    public string IlcArchFlags(string arch) => _ilcArchFlags[arch];

    /// <summary>The define the Makefile passes csc for <paramref name="arch"/>.</summary>
    public static string ArchDefine(string arch) => arch == "x64" ? "ARCH_X64" : "ARCH_ARM64";

    public static BundleArch ArchCode(string arch) => arch switch
    {
        "x64" => BundleArch.X64,
        "arm64" => BundleArch.Arm64,
        _ => throw new CliError($"unknown architecture '{arch}' (x64, arm64)"),
    };

    public static string ArchName(BundleArch arch) => arch switch
    {
        BundleArch.X64 => "x64",
        BundleArch.Arm64 => "arm64",
        _ => $"unknown ({(byte)arch})",
    };

    private string KernelDir(string arch) => Kernel == "test" ? Path.Combine(Root, "build", arch, "test") : Path.Combine(Root, "build", arch);
    public string KernelDll(string arch) => Path.Combine(KernelDir(arch), SystemModule + ".dll");
    public string KernelElf(string arch) => Path.Combine(Root, "build", arch, Kernel == "test" ? "molt-test.elf" : "molt.elf");
    public string BuildIdFile(string arch) => Path.Combine(KernelDir(arch), "build-id");

    /// <summary>Fails with the make command to run if the kernel for <paramref name="arch"/> is not built.</summary>
    public void RequireKernel(string arch)
    {
        foreach (string f in new[] { KernelDll(arch), KernelElf(arch) })
            if (!File.Exists(f)) throw new CliError($"{f} does not exist: build the kernel first (make ARCH={arch})");
    }

    /// <summary>
    /// The kernel build's id: build/&lt;arch&gt;/build-id (64 hex digits, the
    /// SHA-256 of the image before its symbol table is added, which the
    /// kernel prints at boot) when the build writes one; else, in older
    /// trees, SHA-256 over build/&lt;arch&gt;/molt.elf.
    /// </summary>
    public byte[] BuildId(string arch)
    {
        string idFile = BuildIdFile(arch);
        if (File.Exists(idFile))
        {
            string hex = File.ReadAllText(idFile).Trim();
            if (hex.Length != 64 || !hex.All(Uri.IsHexDigit)) throw new CliError($"{idFile} does not hold 64 hex digits");
            return Convert.FromHexString(hex);
        }
        string elf = KernelElf(arch);
        if (!File.Exists(elf)) throw new CliError($"{elf} does not exist: build the kernel first (make ARCH={arch})");
        using var s = File.OpenRead(elf);
        return SHA256.HashData(s);
    }

    public string Ilc()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string ilc = Path.Combine(packages, "runtime.linux-x64.microsoft.dotnet.ilcompiler", IlcVersion, "tools", "ilc");
        if (!File.Exists(ilc)) throw new CliError($"ilc {IlcVersion} not found at {ilc} (run make deps)");
        return ilc;
    }

    private static string? s_csc;

    /// <summary>Roslyn's csc.dll in the newest installed .NET SDK (what the Makefile uses).</summary>
    public static string Csc()
    {
        if (s_csc != null) return s_csc;
        var (code, output) = Run("dotnet", ["--list-sdks"], null);
        if (code != 0) throw new CliError("dotnet --list-sdks failed: is the .NET SDK installed?");
        string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        // "10.0.401 [/usr/share/dotnet/sdk]"
        int bracket = last?.IndexOf(" [", StringComparison.Ordinal) ?? -1;
        if (last == null || bracket < 0) throw new CliError("no .NET SDK found by dotnet --list-sdks");
        string dir = Path.Combine(last[(bracket + 2)..].TrimEnd(']', '\r'), last[..bracket]);
        string csc = Path.Combine(dir, "Roslyn", "bincore", "csc.dll");
        if (!File.Exists(csc)) throw new CliError($"csc not found at {csc}");
        return s_csc = csc;
    }

    /// <summary>Runs a program to completion; returns its exit code and its stdout and stderr together.</summary>
    public static (int Code, string Output) Run(string program, IEnumerable<string> args, string? workDir)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Directory.GetCurrentDirectory(),
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi) ?? throw new CliError($"cannot start {program}");
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    /// <summary>Splits a flags property on spaces (bflat.props flags hold no quoted spaces).</summary>
    public static string[] SplitFlags(string flags) => flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
