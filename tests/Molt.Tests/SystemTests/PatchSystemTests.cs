using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Molt.QemuRunner;
using Molt.Tests.Cli;
using Molt.Tests.Support;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// Patches end to end, as a user makes them: the molt tool builds and signs
/// the examples (examples/patches) for the exact test kernel, a cpio archive
/// of bundles is the boot module, and the kernel applies them.
/// - The in-kernel test patch.examples_stack_and_roll_back_under_load applies
///   the four examples while every CPU writes and reads the store, checks
///   each new behaviour and the kept state, then rolls back level by level.
/// - Every refusal case reaches the kernel (patch.apply=, one log line per
///   bundle) and is refused at the right step with its reason, nothing
///   changed, after which a good bundle still applies.
/// </summary>
public class PatchSystemTests
{
    private static readonly string[] Examples = ["kv-fix-case", "kv-versions", "kv-adapter", "kv-audit"];
    private static readonly ConcurrentDictionary<QemuArch, Lazy<Dictionary<string, byte[]>>> s_bundles = new();

    /// <summary>The example bundles for <paramref name="arch"/>'s test kernel, built once per run.</summary>
    private static Dictionary<string, byte[]> Bundles(QemuArch arch) => s_bundles.GetOrAdd(arch, a => new Lazy<Dictionary<string, byte[]>>(() =>
    {
        string dir = MoltTool.TempDir();
        var result = new Dictionary<string, byte[]>();
        foreach (string name in Examples)
        {
            string output = Path.Combine(dir, name + ".bundle");
            var r = MoltTool.Run(Repo.Root, "patch", "build", Path.Combine(Repo.Root, "examples", "patches", name),
                "--arch", a.ToName(), "--kernel", "test", "-o", output);
            Assert.True(r.ExitCode == 0, $"molt patch build {name}: {r.Stderr}{r.Stdout}");
            result[name] = File.ReadAllBytes(output);
        }
        return result;
    })).Value;

    /// <summary>On arm64 QEMU hands the boot module only to an Image: boot molt-test.img there.</summary>
    private static string TestKernel(QemuArch arch) => arch == QemuArch.Arm64
        ? Path.Combine(Repo.Root, "build", "arm64", "molt-test.img")
        : Repo.TestKernelElf(arch);

    private static Task<QemuResult> Boot(QemuArch arch, int cpus, string archive, string commandLine) =>
        QemuRunner.QemuRunner.RunAsync(new QemuRunOptions
        {
            Arch = arch,
            KernelPath = TestKernel(arch),
            InitrdPath = archive,
            CommandLine = commandLine,
            Cpus = cpus,
            Timeout = TimeSpan.FromSeconds(180),
        });

    [Theory]
    [OnArch(QemuArch.X64, 1), OnArch(QemuArch.X64, 4), OnArch(QemuArch.Arm64, 1), OnArch(QemuArch.Arm64, 4)]
    public async Task The_examples_stack_and_roll_back_under_load_with_nothing_lost(QemuArch arch, int cpus)
    {
        var bundles = Bundles(arch);
        string archive = Cpio.Write(MoltTool.TempDir(), "examples.cpio", Examples.Select(e => (e + ".bundle", bundles[e])));
        var r = await Boot(arch, cpus, archive, "test test.filter=patch.");
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        Assert.Contains(r.SerialLines, l => l == "PASS patch.examples_stack_and_roll_back_under_load");
        foreach (string e in Examples)
            Assert.Contains(r.SerialLines, l => l.Contains($"patch: {e}.bundle: applied '{e}'"));
    }

    [Theory]
    [OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task Every_refusal_reaches_the_kernel_with_its_reason_and_changes_nothing(QemuArch arch)
    {
        byte[] good = Bundles(arch)["kv-fix-case"];
        byte[] seed = SecretSeed();
        var cases = new List<(string File, byte[] Bytes, string Expect)>
        {
            ("bad-signature", Flip(good, good.Length - 1), "refused at signature: Ed25519 signature does not verify"),
            ("unknown-key", Resign(good, b => { }, OtherSeed()), "refused at signature"),
            ("wrong-build-id", Resign(good, b => b[32] ^= 0xFF, seed), "refused at policy: bundle targets another kernel build (byte 32)"),
            ("wrong-base-level", Resign(good, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 7), seed), "refused at policy: bundle stacks on another patch level (byte 20)"),
            ("wrong-arch", Resign(good, b => b[12] = (byte)(b[12] == 1 ? 2 : 1), seed), "refused at"),
            ("truncated", good[..(good.Length / 2)], "refused at parse"),
            ("garbage", Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray(), "refused at parse"),
            ("oversized", Resign(good, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 64u << 20), seed), "refused at parse"),
            ("undefined-symbol", Resign(good, b => Rename(b, "RhpNewFast", "RhpNewFasX"), seed), "RhpNewFasX"),
            ("unsupported-relocation", Resign(good, b => BreakRelocation(b), seed), "refused at link"),
            ("malformed-elf", Resign(good, b => BreakSectionTable(b), seed), "refused at"),
        };
        // A good bundle last: the kernel kept running and its state, and still applies patches.
        var files = cases.Select(c => ("refuse-" + c.File + ".bundle", c.Bytes)).Append(("kv-fix-case.bundle", good));
        string archive = Cpio.Write(MoltTool.TempDir(), "refusals.cpio", files);
        var r = await Boot(arch, 1, archive, "patch.apply=0 exit");
        Assert.True(r.Outcome == QemuOutcome.Passed, r.Describe());
        foreach (var c in cases)
        {
            string line = r.SerialLines.FirstOrDefault(l => l.Contains($"patch: warning: refuse-{c.File}.bundle: ")) ?? "";
            Assert.True(line.Contains(c.Expect), $"{c.File}: expected '{c.Expect}' in '{line}'\n{string.Join('\n', r.SerialLines.Where(l => l.Contains("patch:")))}");
        }
        Assert.Contains(r.SerialLines, l => l.Contains("patch: kv-fix-case.bundle: applied 'kv-fix-case' as level 1"));
        Assert.Contains(r.SerialLines, l => l.Contains($"boot bundles: 1 of {cases.Count + 1} applied, patch level 1"));
    }

    // ---- making bad bundles: each one signed properly, so it fails at the step it is meant to ----

    private static byte[] Flip(byte[] b, int at) { var c = (byte[])b.Clone(); c[at] ^= 1; return c; }

    /// <summary>A copy changed by <paramref name="edit"/>, then signed again with <paramref name="seed"/> (key id and signature).</summary>
    private static byte[] Resign(byte[] bundle, Action<byte[]> edit, byte[] seed)
    {
        var b = (byte[])bundle.Clone();
        edit(b);
        var key = new Ed25519PrivateKeyParameters(seed, 0);
        byte[] pub = key.GeneratePublicKey().GetEncoded();
        int sigAt = b.Length - 64, idAt = sigAt - 8;
        System.Security.Cryptography.SHA512.HashData(pub).AsSpan(0, 8).CopyTo(b.AsSpan(idAt));
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        signer.BlockUpdate(b, 0, sigAt);
        signer.GenerateSignature().CopyTo(b, sigAt);
        return b;
    }

    private static byte[] SecretSeed()
    {
        string text = File.ReadAllText(Path.Combine(Repo.Root, "build", "keys", "molt-signing.key")).Trim();
        return Convert.FromHexString(text.Split(' ')[1]);
    }

    private static byte[] OtherSeed() => Enumerable.Range(1, 32).Select(i => (byte)(i * 13)).ToArray();

    /// <summary>The object part's bounds, from the bundle header's part table (docs/patching.md).</summary>
    private static (int Start, int Length) ObjectPart(byte[] b)
    {
        for (int part = 0; part < 6; part++)
        {
            int off = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(64 + part * 8));
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(68 + part * 8));
            if (len >= 64 && b[off] == 0x7F && b[off + 1] == (byte)'E' && b[off + 2] == (byte)'L' && b[off + 3] == (byte)'F') return (off, len);
        }
        throw new InvalidDataException("no ELF object part in the bundle");
    }

    /// <summary>Renames a symbol in the object's string table (same length), so the name resolves nowhere.</summary>
    private static void Rename(byte[] b, string from, string to)
    {
        var (start, len) = ObjectPart(b);
        byte[] needle = Encoding.ASCII.GetBytes("\0" + from + "\0");
        int at = b.AsSpan(start, len).IndexOf(needle);
        Assert.True(at >= 0, $"{from} is not in the object's string table");
        Encoding.ASCII.GetBytes(to).CopyTo(b, start + at + 1);
    }

    /// <summary>Gives every RELA entry of the object a relocation type ilc never emits (0x7f), so the first one applied is refused.</summary>
    private static void BreakRelocation(byte[] b)
    {
        var (start, len) = ObjectPart(b);
        var o = b.AsSpan(start, len);
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(o[0x28..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(o[0x3C..]);
        int broken = 0;
        for (int i = 0; i < shnum; i++)
        {
            var sh = o[(int)(shoff + i * 64)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 4 /* SHT_RELA */) continue;
            int rela = (int)BinaryPrimitives.ReadInt64LittleEndian(sh[0x18..]);
            long size = BinaryPrimitives.ReadInt64LittleEndian(sh[0x20..]);
            for (long e = 0; e + 24 <= size; e += 24, broken++)
            {
                var info = o[(int)(rela + e + 8)..];
                BinaryPrimitives.WriteUInt64LittleEndian(info, (BinaryPrimitives.ReadUInt64LittleEndian(info) & 0xFFFFFFFF00000000UL) | 0x7F);
            }
        }
        Assert.True(broken > 0, "no relocation in the object");
    }

    /// <summary>Points the object's section header table past its end.</summary>
    private static void BreakSectionTable(byte[] b)
    {
        var (start, len) = ObjectPart(b);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(start + 0x28), len + 4096);
    }
}

/// <summary>Writes a cpio "newc" archive (what the kernel's BootArchive reads).</summary>
public static class Cpio
{
    public static string Write(string dir, string name, IEnumerable<(string Name, byte[] Data)> files)
    {
        string path = Path.Combine(dir, name);
        using var s = File.Create(path);
        int ino = 1;
        foreach (var (n, d) in files.Append(("TRAILER!!!", Array.Empty<byte>())))
        {
            byte[] nameBytes = Encoding.ASCII.GetBytes(n + "\0");
            string header = "070701" + string.Concat(new[] { ino++, n == "TRAILER!!!" ? 0 : 0x81A4, 0, 0, 1, 0, d.Length, 0, 0, 0, 0, nameBytes.Length, 0 }
                .Select(v => v.ToString("x8")));
            s.Write(Encoding.ASCII.GetBytes(header));
            s.Write(nameBytes);
            Pad(s);
            s.Write(d);
            Pad(s);
        }
        return path;
    }

    private static void Pad(Stream s) { while (s.Position % 4 != 0) s.WriteByte(0); }
}
