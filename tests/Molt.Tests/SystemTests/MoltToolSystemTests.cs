using System.Text.Json;
using Molt.QemuRunner;
using Molt.Tests.Cli;
using Molt.Tests.Daemon;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The molt tool against the real daemon, both arches: the one-line
/// refusals and exit statuses of docs/update-daemon.md come out of the
/// kernel's own answers (parse 400, signature 403, policy 409), not only
/// out of the fake daemon's (tests/Molt.Tests/Daemon). The happy path is
/// the README demo's (ReadmeDemoSystemTests); this is the rest.
/// </summary>
public class MoltToolSystemTests
{
    private static async Task Exercise(QemuArch arch)
    {
        string dir = MoltTool.TempDir();
        try
        {
            string bundle = Path.Combine(dir, "kv-fix-case.bundle");
            ToolResult built = MoltTool.Run(Repo.Root, "patch", "build", Path.Combine(Repo.Root, "examples", "patches", "kv-fix-case"),
                "--arch", arch.ToName(), "--sequence", "3", "-o", bundle);
            Assert.True(built.ExitCode == 0, built.ToString());
            byte[] good = File.ReadAllBytes(bundle);
            string forged = Path.Combine(dir, "forged.bundle"), garbage = Path.Combine(dir, "garbage.bundle"), otherKey = Path.Combine(dir, "other.key");
            byte[] f = (byte[])good.Clone(); f[^1] ^= 1;
            File.WriteAllBytes(forged, f);
            File.WriteAllText(garbage, "not a bundle at all\n");
            File.WriteAllText(otherKey, $"molt-ed25519-secret {new string('7', 64)}\n");

            await using var k = await RunningKernel.BootAsync(arch);
            string to = k.UpdateAddress;
            ToolResult Molt(params string[] args) => MoltTool.Run(dir, [.. args, "--to", to]);
            string Fails(ToolResult r, int exit) => DaemonSamples.AssertError(r, exit) + $"\n--- kernel:\n{k.Log}";

            // Level 0: nothing to roll back, said by molt without asking the kernel to.
            Assert.Equal($"molt: error: nothing to roll back: {to} is at level 0 (the kernel as booted)", Molt("rollback").AssertOneLineError());

            // The kernel's refusals, each with its step, status and offset.
            string line = Fails(Molt("push", garbage), 1);
            Assert.StartsWith("molt: error: the kernel refused garbage.bundle at parse (400): bad magic", line);
            Assert.Contains("(byte 0)", line);
            line = Fails(Molt("push", forged), 1);
            Assert.StartsWith("molt: error: the kernel refused kv-fix-case at signature (403): ", line);
            Assert.Contains("the kernel stays at level 0", line);

            // Applied, as JSON.
            ToolResult pushed = Molt("push", bundle, "--json");
            Assert.True(pushed.ExitCode == 0, pushed + $"\n--- kernel:\n{k.Log}");
            JsonElement applied = JsonDocument.Parse(pushed.Stdout).RootElement;
            Assert.Equal("applied", applied.GetProperty("outcome").GetString());
            Assert.Equal(1, applied.GetProperty("level").GetInt32());
            Assert.Equal(good.Length, applied.GetProperty("bytes").GetInt32());

            // The same bundle again: policy (its base level is 0, the kernel is at 1).
            Assert.StartsWith("molt: error: the kernel refused kv-fix-case at policy (409): ", Fails(Molt("push", bundle), 1));

            // A rollback signed by a key the kernel does not trust.
            line = Fails(Molt("rollback", "--key", otherKey), 1);
            Assert.StartsWith("molt: error: the kernel refused the rollback from level 1 to level 0 at signature (403): ", line);
            Assert.Contains("(byte 64)", line);

            // --level not below the level: molt refuses.
            Assert.Contains("cannot roll back", Molt("rollback", "--level", "1").AssertOneLineError());

            // The real rollback, with the tree's key.
            ToolResult rolled = Molt("rollback", "--level", "0");
            Assert.True(rolled.ExitCode == 0, rolled + $"\n--- kernel:\n{k.Log}");
            Assert.Contains($"rolled back {to} from level 1 to level 0: undid kv-fix-case (sequence 3)", rolled.Stdout);

            // The status, as JSON, and as tables.
            ToolResult status = Molt("status", "--json");
            Assert.True(status.ExitCode == 0, status.ToString());
            JsonElement s = JsonDocument.Parse(status.Stdout).RootElement;
            Assert.Equal(0, s.GetProperty("level").GetInt32());
            // Refused pushes and refused rollbacks are history.
            Assert.Equal(["refused", "refused", "applied", "refused", "refused", "rolled_back"],
                s.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("event").GetString()!).ToArray());
            ToolResult tables = Molt("status");
            Assert.True(tables.ExitCode == 0, tables.ToString());
            Assert.Contains("patch stack: empty", tables.Stdout);
            Assert.Contains("rolled back", tables.Stdout);
            Assert.Contains(s.GetProperty("build_id").GetString()!, tables.Stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public Task X64_molt_refusals_and_exit_statuses_from_the_real_daemon() => Exercise(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_molt_refusals_and_exit_statuses_from_the_real_daemon() => Exercise(QemuArch.Arm64);
}
