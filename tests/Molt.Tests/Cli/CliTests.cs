using System.Text.Json;
using Xunit;

namespace Molt.Tests.Cli;

/// <summary>The molt tool's command line: help, errors, keys, new projects, inspecting bad files.</summary>
public class CliTests : IDisposable
{
    private readonly string _dir = MoltTool.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("", "keygen")]
    [InlineData("keygen", "--output")]
    [InlineData("key", "export")]
    [InlineData("key export", "--format")]
    [InlineData("patch", "inspect")]
    [InlineData("patch new", "patch.json")]
    [InlineData("patch build", "--arch")]
    [InlineData("patch inspect", "--key")]
    public void Help_OnEveryCommand(string command, string mentions)
    {
        string[] args = [.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"];
        ToolResult r = MoltTool.Run(_dir, args);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage:", r.Stdout);
        Assert.Contains(("molt " + command).Trim(), r.Stdout);
        Assert.Contains(mentions, r.Stdout);
    }

    [Theory]
    [InlineData("", "Required command")]
    [InlineData("bogus", "bogus")]
    [InlineData("patch", "Required command")]
    [InlineData("patch build", "'build'")]
    [InlineData("patch build x --arch sparc", "'sparc' not recognized. Must be one of: 'x64', 'arm64', 'all'")]
    [InlineData("keygen --nope", "--nope")]
    [InlineData("key export k.pub --format pem", "pem")]
    [InlineData("patch inspect /nonexistent/b.mpatch", "/nonexistent/b.mpatch does not exist")]
    [InlineData("patch build /nonexistent/p", "/nonexistent/p is not a folder")]
    [InlineData("key export /nonexistent/k.pub --format hex", "key file /nonexistent/k.pub does not exist")]
    public void BadCommandLines_GiveOneLineErrors(string command, string mentions)
    {
        ToolResult r = MoltTool.Run(_dir, command.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string line = r.AssertOneLineError();
        Assert.Contains(mentions, line);
    }

    [Fact]
    public void Keygen_WritesAnOwnerOnlySecretAndAPublicKey()
    {
        ToolResult r = MoltTool.Run(_dir, "keygen", "-o", "keys");
        Assert.True(r.ExitCode == 0, r.ToString());
        string secret = Path.Combine(_dir, "keys", "molt-signing.key"), pub = Path.Combine(_dir, "keys", "molt-signing.pub");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Matches("^molt-ed25519-secret [0-9a-f]{64}\n$", File.ReadAllText(secret));
        Assert.Matches("^molt-ed25519-public [0-9a-f]{64}\n$", File.ReadAllText(pub));
        Assert.Matches("key id [0-9a-f]{16}", r.Stdout);

        string before = File.ReadAllText(secret);
        Assert.Contains("already exists", MoltTool.Run(_dir, "keygen", "-o", "keys").AssertOneLineError());
        Assert.Equal(before, File.ReadAllText(secret));
        Assert.Equal(0, MoltTool.Run(_dir, "keygen", "-o", "keys", "--force").ExitCode);
        Assert.NotEqual(before, File.ReadAllText(secret));
    }

    [Fact]
    public void KeyExport_GivesTheKernelItsTrustedKey()
    {
        Assert.Equal(0, MoltTool.Run(_dir, "keygen", "-o", ".").ExitCode);
        string hex = File.ReadAllText(Path.Combine(_dir, "molt-signing.pub")).Split(' ')[1].Trim();

        Assert.Equal(0, MoltTool.Run(_dir, "key", "export", "molt-signing.pub", "--format", "bin", "-o", "k.bin").ExitCode);
        Assert.Equal(Convert.FromHexString(hex), File.ReadAllBytes(Path.Combine(_dir, "k.bin")));

        ToolResult asm = MoltTool.Run(_dir, "key", "export", "molt-signing.key", "--format", "asm");
        Assert.True(asm.ExitCode == 0, asm.ToString());
        Assert.Contains("molt_trusted_public_key:", asm.Stdout);
        Assert.Contains("0x" + hex[..2], asm.Stdout);

        ToolResult hexOut = MoltTool.Run(_dir, "key", "export", "molt-signing.pub", "--format", "hex");
        Assert.Equal(hex + "\n", hexOut.Stdout);

        ToolResult cs = MoltTool.Run(_dir, "key", "export", "molt-signing.pub", "--format", "cs");
        Assert.Contains("ReadOnlySpan<byte> PublicKey", cs.Stdout);

        Assert.Contains("--output", MoltTool.Run(_dir, "key", "export", "molt-signing.pub", "--format", "bin").AssertOneLineError());
        File.WriteAllText(Path.Combine(_dir, "junk.pub"), "ssh-ed25519 AAAA\n");
        Assert.Contains("not a Molt key file", MoltTool.Run(_dir, "key", "export", "junk.pub", "--format", "hex").AssertOneLineError());
    }

    [Fact]
    public void PatchNew_WritesAManifestAndAnEntrySkeleton()
    {
        ToolResult r = MoltTool.Run(_dir, "patch", "new", "kv-fix");
        Assert.True(r.ExitCode == 0, r.ToString());
        using JsonDocument m = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "kv-fix", "patch.json")));
        Assert.Equal("kv-fix", m.RootElement.GetProperty("name").GetString());
        Assert.Equal(1, m.RootElement.GetProperty("sequence").GetInt32());
        Assert.Equal(0, m.RootElement.GetProperty("baseLevel").GetInt32());
        Assert.Equal(1, m.RootElement.GetProperty("updates").GetArrayLength());
        string source = File.ReadAllText(Path.Combine(_dir, "kv-fix", "Patch.cs"));
        Assert.Contains("namespace Patches.KvFix", source);
        Assert.Contains("public static bool Register()", source);
        Assert.Contains("already exists", MoltTool.Run(_dir, "patch", "new", "kv-fix").AssertOneLineError());
    }

    [Fact]
    public void PatchInspect_RefusesWhatIsNotABundle()
    {
        File.WriteAllBytes(Path.Combine(_dir, "x.mpatch"), Enumerable.Repeat((byte)'x', 300).ToArray());
        string line = MoltTool.Run(_dir, "patch", "inspect", "x.mpatch").AssertOneLineError();
        Assert.Contains("bad magic", line);
        Assert.Contains("byte offset 0", line);
    }

    [Fact]
    public void PatchBuild_RefusesABadManifestNamingTheField()
    {
        Assert.Equal(0, MoltTool.Run(_dir, "patch", "new", "p").ExitCode);
        string manifest = Path.Combine(_dir, "p", "patch.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"new-type\"", "\"class-eagre\""));
        Assert.Contains("updates[0].kind is 'class-eagre'", MoltTool.Run(_dir, "patch", "build", "p").AssertOneLineError());
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"sequence\"", "\"sequense\""));
        Assert.Contains("sequense", MoltTool.Run(_dir, "patch", "build", "p").AssertOneLineError());
    }
}
