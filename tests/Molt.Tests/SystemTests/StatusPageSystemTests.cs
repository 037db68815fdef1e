using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Molt.QemuRunner;
using Molt.Tests.Browser;
using Molt.Tests.Cli;
using Molt.Tests.Support;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Molt.Tests.SystemTests;

/// <summary>
/// The daemon's status page on the real kernel, in chromium: the release
/// kernel boots under QEMU with a NIC forwarding a free loopback port to the
/// daemon (7777); the page at <c>/</c> shows the build, arch and level 0;
/// then an example bundle (kv-fix-case, built for this release kernel) is
/// POSTed to <c>/patches</c> and the open page, without a reload, shows
/// level 1, the patch row, the history row and kv at its new version.
/// </summary>
public sealed class StatusPageSystemTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Example = "kv-fix-case";
    private static readonly ConcurrentDictionary<QemuArch, Lazy<byte[]>> s_bundles = new();

    /// <summary>Seconds, not minutes: the page polls every 2 s, QEMU (TCG) answers in well under one.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions Poll = new() { Timeout = 12000 };

    /// <summary>
    /// The example bundle for <paramref name="arch"/>'s release kernel (build/&lt;arch&gt;/molt.elf), built once per run,
    /// from a private copy of the example: molt patch build writes fixed paths under the project's obj/&lt;arch&gt;/,
    /// and other test classes build the same example in parallel.
    /// </summary>
    private static byte[] Bundle(QemuArch arch) => s_bundles.GetOrAdd(arch, a => new Lazy<byte[]>(() =>
    {
        string dir = MoltTool.TempDir();
        string project = Path.Combine(dir, Example);
        string source = Path.Combine(Repo.Root, "examples", "patches", Example);
        Directory.CreateDirectory(project);
        foreach (string f in Directory.GetFiles(source))
            File.Copy(f, Path.Combine(project, Path.GetFileName(f)));
        string output = Path.Combine(dir, Example + ".bundle");
        var r = MoltTool.Run(Repo.Root, "patch", "build", project, "--arch", a.ToName(), "--kernel", "release", "-o", output);
        Assert.True(r.ExitCode == 0, $"molt patch build {Example}: {r.Stderr}{r.Stdout}");
        return File.ReadAllBytes(output);
    })).Value;

    private static ILocator Cell(IPage page, string table, int row, string field) =>
        page.Locator($"#{table} tbody tr").Nth(row).Locator($"td[data-f='{field}']");

    private static async Task<JsonElement> Status(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("status")).RootElement.Clone();

    private static int KvVersion(JsonElement status) =>
        status.GetProperty("classes").EnumerateArray().First(c => c.GetProperty("name").GetString() == "kv").GetProperty("version").GetInt32();

    [ChromiumTheory]
    [OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]
    public async Task The_page_shows_a_pushed_patch_without_a_reload(QemuArch arch)
    {
        byte[] bundle = Bundle(arch);
        await using var kernel = await RunningKernel.BootAsync(arch);
        string Log() => kernel.Log;
        using var http = new HttpClient { BaseAddress = kernel.UpdateUri, Timeout = TimeSpan.FromSeconds(30) };
        JsonElement before = await Status(http);
        string buildId = before.GetProperty("build_id").GetString()!;
        Assert.Equal(64, buildId.Length);
        Assert.Equal(0, before.GetProperty("level").GetInt32());
        int kvBefore = KvVersion(before);

        var page = await browser.NewPageAsync(timeoutMs: 12000);
        var errors = new List<string>();
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        var response = await page.GotoAsync(kernel.UpdateUri.ToString());
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"]);

        await Expect(page.Locator("#level")).ToHaveTextAsync("0", Poll);
        await Expect(page.Locator("#build-id")).ToHaveTextAsync(buildId[..12]);
        await Expect(page.Locator("#arch")).ToHaveTextAsync(arch.ToName());
        await Expect(page.Locator("#patches tbody tr")).ToHaveCountAsync(0);
        await Expect(page.Locator("#classes tbody tr td[data-f='name']", new() { HasTextString = "kv" }).First).ToBeVisibleAsync();
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        await page.EvaluateAsync("() => { window.moltMark = 42; }");

        // Push the patch as `molt push` would.
        using var push = await http.PostAsync("patches", new ByteArrayContent(bundle));
        string answer = await push.Content.ReadAsStringAsync();
        Assert.True(push.StatusCode == HttpStatusCode.OK, $"POST /patches: {(int)push.StatusCode} {answer}\n{Log()}");
        var applied = JsonDocument.Parse(answer).RootElement;
        Assert.Equal("applied", applied.GetProperty("outcome").GetString());
        long sequence = applied.GetProperty("sequence").GetInt64();
        int kvAfter = KvVersion(await Status(http));
        Assert.True(kvAfter > kvBefore, $"kv stayed at version {kvBefore} after {Example}");

        // The open page follows by itself.
        await Expect(page.Locator("#level")).ToHaveTextAsync("1", Poll);
        await Expect(page.Locator("#patches tbody tr")).ToHaveCountAsync(1);
        await Expect(Cell(page, "patches", 0, "name")).ToHaveTextAsync(Example);
        await Expect(Cell(page, "patches", 0, "sequence")).ToHaveTextAsync(sequence.ToString());
        await Expect(Cell(page, "patches", 0, "total_us")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+(\.\d+)? (us|ms|s)$"));
        await Expect(page.Locator("#classes tbody tr", new() { Has = page.Locator("td[data-f='name']", new() { HasTextRegex = new("^kv$") }) })
            .Locator("td[data-f='version']")).ToHaveTextAsync(kvAfter.ToString());
        await Expect(page.Locator("#patch-memory")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[1-9]\d* frames?, \d+(\.\d)? (B|KiB|MiB) reserved$"));
        await Expect(Cell(page, "history", 0, "event")).ToHaveTextAsync("applied");
        await Expect(Cell(page, "history", 0, "name")).ToHaveTextAsync(Example);
        Assert.Equal(42, await page.EvaluateAsync<int>("() => window.moltMark"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
