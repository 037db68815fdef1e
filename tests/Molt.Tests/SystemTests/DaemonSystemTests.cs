using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Molt.Cli.Bundles;
using Molt.QemuRunner;
using Molt.Tests.Cli;
using Molt.Tests.Support;
using Molt.Update.Bundles;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Xunit;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The update daemon on the real NIC, both arches: /status tells the truth
/// about the kernel (build id, arch, level, classes), a push and a signed
/// rollback work, and a captured rollback request cannot be replayed, not
/// even to undo a later patch at the same level; bad signatures, unknown
/// signers, other builds, garbage, wrong methods and paths are refused with
/// their status and reason, and the kernel's level never moves for them.
/// </summary>
public class DaemonSystemTests
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(120) };

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    private static async Task<JsonElement> Status(RunningKernel k) => await Json(await s_http.GetAsync(new Uri(k.UpdateUri, "status")));

    private static async Task<(HttpStatusCode, JsonElement)> Post(RunningKernel k, string path, byte[] body)
    {
        var r = await s_http.PostAsync(new Uri(k.UpdateUri, path), new ByteArrayContent(body));
        return (r.StatusCode, await Json(r));
    }

    private static string Build(QemuArch arch, string example, ulong sequence)
    {
        string output = Path.Combine(MoltTool.TempDir(), $"{example}-{sequence}.bundle");
        var r = MoltTool.Run(Repo.Root, "patch", "build", Path.Combine(Repo.Root, "examples", "patches", example),
            "--arch", arch.ToName(), "--sequence", sequence.ToString(), "-o", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        return output;
    }

    private static byte[] Seed()
    {
        string line = File.ReadAllText(Path.Combine(Repo.Root, "build", "keys", "molt-signing.key")).Trim();
        return Convert.FromHexString(line.Split(' ')[1]);
    }

    /// <summary>A rollback request for what /status says now, signed with <paramref name="seed"/>.</summary>
    private static byte[] RollbackRequest(JsonElement status, uint to, byte[] seed, Action<RollbackContentsEdit>? edit = null)
    {
        var e = new RollbackContentsEdit
        {
            Arch = status.GetProperty("arch").GetString() == "x64" ? BundleArch.X64 : BundleArch.Arm64,
            From = (uint)status.GetProperty("level").GetInt32(),
            TopSequence = status.GetProperty("patches").EnumerateArray().Last().GetProperty("sequence").GetUInt64(),
            BuildId = Convert.FromHexString(status.GetProperty("build_id").GetString()!),
        };
        edit?.Invoke(e);
        var key = new Ed25519PrivateKeyParameters(seed, 0);
        byte[] keyId = System.Security.Cryptography.SHA512.HashData(key.GeneratePublicKey().GetEncoded())[..8];
        return RollbackWriter.Write(new RollbackContents { Arch = e.Arch, FromLevel = e.From, ToLevel = to, TopSequence = e.TopSequence, BuildId = e.BuildId }, keyId, bytes =>
        {
            var signer = new Ed25519Signer();
            signer.Init(true, key);
            signer.BlockUpdate(bytes, 0, bytes.Length);
            return signer.GenerateSignature();
        });
    }

    public sealed class RollbackContentsEdit
    {
        public BundleArch Arch;
        public uint From;
        public ulong TopSequence;
        public byte[] BuildId = [];
    }

    private static async Task Exercise(QemuArch arch)
    {
        string first = Build(arch, "kv-fix-case", 1), again = Build(arch, "kv-fix-case", 5);
        await using var k = await RunningKernel.BootAsync(arch);
        string context() => $"\n--- kernel:\n{k.Log}";

        // /status tells the truth.
        JsonElement s = await Status(k);
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Root, "build", arch.ToName(), "build-id")).Trim(), s.GetProperty("build_id").GetString());
        Assert.Equal(arch.ToName(), s.GetProperty("arch").GetString());
        Assert.Equal(2, s.GetProperty("cpus").GetInt32());
        Assert.Equal(0, s.GetProperty("level").GetInt32());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("busy").ValueKind);
        Assert.Contains(s.GetProperty("classes").EnumerateArray(), c => c.GetProperty("name").GetString() == "kv" && c.GetProperty("version").GetInt32() == 1);

        // Routing: wrong method, unknown path, the page.
        var put = await s_http.PutAsync(new Uri(k.UpdateUri, "status"), new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Contains("GET", put.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.NotFound, (await s_http.GetAsync(new Uri(k.UpdateUri, "nothing"))).StatusCode);
        var page = await s_http.GetAsync(k.UpdateUri);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        // A bundle whose signature is off by one bit is refused before a byte reaches patch memory.
        byte[] forged = File.ReadAllBytes(first); forged[^1] ^= 1;
        var (code, refused) = await Post(k, "patches", forged);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("signature", refused.GetProperty("step").GetString());
        JsonElement afterForged = await Status(k);
        Assert.Equal(s.GetProperty("patch_memory_reserved_bytes").GetInt64(), afterForged.GetProperty("patch_memory_reserved_bytes").GetInt64());
        Assert.Equal(s.GetProperty("patch_memory_frames_in_use").GetInt64(), afterForged.GetProperty("patch_memory_frames_in_use").GetInt64());

        // Push, then a signed rollback; its replay is stale.
        JsonElement applied;
        (code, applied) = await Post(k, "patches", File.ReadAllBytes(first));
        Assert.True(code == HttpStatusCode.OK, applied.ToString() + context());
        Assert.Equal(1, applied.GetProperty("level").GetInt32());
        foreach (string t in new[] { "receive", "verify", "link", "init", "swap", "total" })
            Assert.True(applied.GetProperty("timings_us").GetProperty(t).GetInt64() >= 0);
        s = await Status(k);
        Assert.Contains(s.GetProperty("classes").EnumerateArray(), c => c.GetProperty("name").GetString() == "kv" && c.GetProperty("version").GetInt32() == 2);
        byte[] seed = Seed();
        byte[] captured = RollbackRequest(s, 0, seed);

        // Refusals first, while there is something to roll back; the level never moves.
        byte[] badSignature = (byte[])captured.Clone(); badSignature[^1] ^= 1;
        (code, var r) = await Post(k, "rollback", badSignature);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("signature", r.GetProperty("step").GetString());
        byte[] otherKey = new byte[32]; new Random(3).NextBytes(otherKey);
        (code, r) = await Post(k, "rollback", RollbackRequest(s, 0, otherKey));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Contains("signer", r.GetProperty("reason").GetString());
        (code, r) = await Post(k, "rollback", RollbackRequest(s, 0, seed, e => e.BuildId = new byte[32]));
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("build", r.GetProperty("reason").GetString());
        (code, r) = await Post(k, "rollback", "garbage, not a rollback request"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal(0, r.GetProperty("offset").GetInt32());
        Assert.Equal(1, (await Status(k)).GetProperty("level").GetInt32());

        (code, r) = await Post(k, "rollback", captured);
        Assert.True(code == HttpStatusCode.OK, r.ToString() + context());
        Assert.Equal(0, r.GetProperty("level").GetInt32());
        (code, r) = await Post(k, "rollback", captured);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("stale or replayed", r.GetProperty("reason").GetString());

        // The same patch again needs a new sequence; at the same level the old request is still stale.
        (code, r) = await Post(k, "patches", File.ReadAllBytes(first));
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("replay", r.GetProperty("reason").GetString());
        (code, r) = await Post(k, "patches", File.ReadAllBytes(again));
        Assert.True(code == HttpStatusCode.OK, r.ToString() + context());
        (code, r) = await Post(k, "rollback", captured);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("another top patch", r.GetProperty("reason").GetString());
        s = await Status(k);
        Assert.Equal(1, s.GetProperty("level").GetInt32());
        Assert.Equal(5UL, s.GetProperty("patches")[0].GetProperty("sequence").GetUInt64());

        // The history tells it all, oldest first.
        string[] events = s.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("event").GetString()!).ToArray();
        Assert.Equal(["refused", "applied", "refused", "refused", "refused", "refused", "rolled_back", "refused", "refused", "applied", "refused"], events);
        string[] names = s.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("name").GetString()!).ToArray();
        Assert.Equal("rollback to level 0", names[2]); // the forged rollback: refused, and on record
        Assert.Equal("rollback", names[5]);            // garbage names no level
        Assert.Contains("stale or replayed", s.GetProperty("history")[10].GetProperty("reason").GetString());
        Assert.Contains("POST /rollback: rolled back from level 1 to level 0", k.Log);
    }

    [KernelFact]
    public Task X64_status_push_signed_rollback_and_no_replay() => Exercise(QemuArch.X64);

    [Arm64KernelFact]
    public Task Arm64_status_push_signed_rollback_and_no_replay() => Exercise(QemuArch.Arm64);
}
