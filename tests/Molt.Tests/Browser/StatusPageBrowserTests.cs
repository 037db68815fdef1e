using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Molt.Tests.Browser;

/// <summary>
/// The daemon's status page (update/Daemon/StatusPage.cs) in chromium, fed by
/// a scripted <c>/status</c> (<see cref="ScriptedStatusServer"/>): what is
/// rendered, that it refreshes itself when the status changes, and the
/// banner when the daemon cannot be reached. Bounded: every wait is a few
/// seconds (the page polls every 2 s).
/// </summary>
public sealed class StatusPageBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>Long enough for two polls (2 s apart) on a loaded machine.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions Poll = new() { Timeout = 7000 };

    /// <summary>Opens the page on <paramref name="server"/>; script errors are collected into <paramref name="errors"/>.</summary>
    private async Task<IPage> Open(ScriptedStatusServer server, List<string> errors)
    {
        var page = await browser.NewPageAsync();
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.Contains("Failed to load resource")) lock (errors) errors.Add(m.Text); };
        var response = await page.GotoAsync(server.Url);
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        return page;
    }

    private static ILocator Cell(IPage page, string table, int row, string field) =>
        page.Locator($"#{table} tbody tr").Nth(row).Locator($"td[data-f='{field}']");

    [ChromiumFact]
    public async Task Renders_a_freshly_booted_kernel()
    {
        await using var server = new ScriptedStatusServer(StatusJson.Text(StatusJson.Booted()));
        var errors = new List<string>();
        var page = await Open(server, errors);

        await Expect(page.Locator("#level")).ToHaveTextAsync("0", Poll);
        await Expect(page.Locator("#build-id")).ToHaveTextAsync("3f1c9a0b2d4e");
        await Expect(page.Locator("#build-id")).ToHaveAttributeAsync("title", StatusJson.BuildId);
        await Expect(page.Locator("#arch")).ToHaveTextAsync("x64");
        await Expect(page.Locator("#cpus")).ToHaveTextAsync("4");
        await Expect(page.Locator("#uptime")).ToHaveTextAsync("0h 01m 21s");
        await Expect(page.Locator("#busy")).ToHaveTextAsync("no");
        await Expect(page.Locator("#heap")).ToHaveTextAsync("1.2 MiB");
        await Expect(page.Locator("#patch-memory")).ToHaveTextAsync("0 frames, 0 B reserved");
        await Expect(page.Locator("#patches tbody tr")).ToHaveCountAsync(0);
        await Expect(page.Locator("#patches-empty")).ToBeVisibleAsync();
        await Expect(page.Locator("#history tbody tr")).ToHaveCountAsync(0);
        await Expect(page.Locator("#history-empty")).ToBeVisibleAsync();
        await Expect(page.Locator("#classes tbody tr")).ToHaveCountAsync(1);
        await Expect(Cell(page, "classes", 0, "name")).ToHaveTextAsync("kv");
        await Expect(Cell(page, "classes", 0, "version")).ToHaveTextAsync("1");
        await Expect(page.Locator("#classes-empty")).ToBeHiddenAsync();
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        await Expect(page.Locator("#last-updated")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d\d:\d\d:\d\d$"));
        await Expect(page).ToHaveTitleAsync("Molt x64 level 0");
        Assert.Empty(errors);
    }

    [ChromiumFact]
    public async Task Refreshes_itself_when_a_patch_is_applied()
    {
        await using var server = new ScriptedStatusServer(StatusJson.Text(StatusJson.Booted()));
        var errors = new List<string>();
        var page = await Open(server, errors);
        await Expect(page.Locator("#level")).ToHaveTextAsync("0", Poll);
        // A mark in the page's global scope: still there afterwards means no reload happened.
        await page.EvaluateAsync("() => { window.moltMark = 42; }");

        server.Json = StatusJson.Text(StatusJson.Patched());

        await Expect(page.Locator("#level")).ToHaveTextAsync("1", Poll);
        await Expect(page.Locator("#uptime")).ToHaveTextAsync("0h 01m 35s");
        await Expect(page.Locator("#patch-memory")).ToHaveTextAsync("3 frames, 36.0 KiB reserved");
        await Expect(page.Locator("#patches tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#patches-empty")).ToBeHiddenAsync();
        await Expect(Cell(page, "patches", 0, "level")).ToHaveTextAsync("1");
        await Expect(Cell(page, "patches", 0, "name")).ToHaveTextAsync("kv-fix-case");
        await Expect(Cell(page, "patches", 0, "sequence")).ToHaveTextAsync("1");
        await Expect(Cell(page, "patches", 0, "applied_at_ms")).ToHaveTextAsync("0h 01m 20s (14s ago)");
        await Expect(Cell(page, "patches", 0, "total_us")).ToHaveTextAsync("35.3 ms");
        await Expect(Cell(page, "patches", 0, "max_blocked_us")).ToHaveTextAsync("0 us");
        await Expect(Cell(page, "patches", 0, "module_bytes")).ToHaveTextAsync("20.0 KiB");
        await Expect(Cell(page, "classes", 0, "version")).ToHaveTextAsync("2");
        await Expect(page.Locator("#history tbody tr")).ToHaveCountAsync(1);
        await Expect(Cell(page, "history", 0, "event")).ToHaveTextAsync("applied");
        await Expect(Cell(page, "history", 0, "name")).ToHaveTextAsync("kv-fix-case");
        await Expect(Cell(page, "history", 0, "level")).ToHaveTextAsync("1");
        await Expect(Cell(page, "history", 0, "total_us")).ToHaveTextAsync("35.3 ms");
        await Expect(Cell(page, "history", 0, "reason")).ToHaveTextAsync("-");
        await Expect(page).ToHaveTitleAsync("Molt x64 level 1");
        Assert.Equal(42, await page.EvaluateAsync<int>("() => window.moltMark"));

        // It keeps polling, about every 2 s and never faster: 2 to 4 requests in 6.5 s.
        int before = server.StatusRequests;
        await Task.Delay(6500);
        int polls = server.StatusRequests - before;
        Assert.InRange(polls, 2, 4);
        Assert.Empty(errors);
    }

    [ChromiumFact]
    public async Task Shows_a_banner_while_the_daemon_is_unreachable()
    {
        await using var server = new ScriptedStatusServer(StatusJson.Text(StatusJson.Booted()));
        var errors = new List<string>();
        var page = await Open(server, errors);
        await Expect(page.Locator("#level")).ToHaveTextAsync("0", Poll);
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        string updated = await page.Locator("#last-updated").InnerTextAsync();

        // The connection is reset: fetch() itself fails.
        server.Failure = ScriptedStatusServer.FailureMode.Drop;
        await Expect(page.Locator("#banner")).ToBeVisibleAsync(new() { Timeout = 7000 });
        await Expect(page.Locator("#banner")).ToContainTextAsync("Daemon unreachable");
        await Expect(page.Locator("#banner")).ToContainTextAsync("showing its last answer");
        await Expect(page.Locator("#level")).ToHaveTextAsync("0");
        await Expect(page.Locator("#last-updated")).ToHaveTextAsync(updated);

        // The daemon answers, but not with a status.
        server.Failure = ScriptedStatusServer.FailureMode.ServerError;
        await Expect(page.Locator("#banner")).ToContainTextAsync("answered 503", new() { Timeout = 7000 });

        // Back: the banner goes and the new status shows.
        server.Json = StatusJson.Text(StatusJson.Patched());
        server.Failure = ScriptedStatusServer.FailureMode.None;
        await Expect(page.Locator("#banner")).ToBeHiddenAsync(new() { Timeout = 7000 });
        await Expect(page.Locator("#level")).ToHaveTextAsync("1");
        Assert.Empty(errors);
    }

    [ChromiumFact]
    public async Task Shows_the_banner_when_the_daemon_is_gone_before_the_first_answer()
    {
        await using var server = new ScriptedStatusServer(StatusJson.Text(StatusJson.Booted()));
        server.Failure = ScriptedStatusServer.FailureMode.Drop;
        var errors = new List<string>();
        var page = await Open(server, errors);
        await Expect(page.Locator("#banner")).ToBeVisibleAsync(new() { Timeout = 7000 });
        await Expect(page.Locator("#banner")).Not.ToContainTextAsync("last answer");
        await Expect(page.Locator("#last-updated")).ToHaveTextAsync("never");
        await Expect(page.Locator("#level")).ToHaveTextAsync("-");
        Assert.Empty(errors);
    }

    [ChromiumFact]
    public async Task Renders_busy_refusals_rollbacks_and_names_as_text()
    {
        var s = StatusJson.Booted(uptimeMs: 3_723_000);
        s["busy"] = "kv-audit (receiving 12288 of 26512 bytes)";
        s["last_sequence"] = 2;
        s["history"] = new JsonArray(
            new JsonObject
            {
                ["event"] = "applied", ["name"] = "kv-fix-case", ["sequence"] = 1, ["level"] = 1, ["at_ms"] = 60000,
                ["total_us"] = 1_250_000, ["max_blocked_us"] = 850, ["reason"] = "",
            },
            new JsonObject
            {
                ["event"] = "refused", ["name"] = "<img src=x onerror=alert(1)>", ["sequence"] = 2, ["level"] = 1, ["at_ms"] = 61000,
                ["total_us"] = 5800, ["max_blocked_us"] = 0, ["reason"] = "the signature does not match the bundle and the trusted key",
            },
            new JsonObject
            {
                ["event"] = "rolled_back", ["name"] = "kv-fix-case", ["sequence"] = 1, ["level"] = 0, ["at_ms"] = 3_600_000,
                ["total_us"] = 1800, ["max_blocked_us"] = 0, ["reason"] = "",
            });
        s["classes"] = new JsonArray(new JsonObject { ["name"] = "kv", ["version"] = 1 }, new JsonObject { ["name"] = "kv-audit", ["version"] = 3 });
        await using var server = new ScriptedStatusServer(StatusJson.Text(s));
        var errors = new List<string>();
        var page = await Open(server, errors);

        await Expect(page.Locator("#busy")).ToHaveTextAsync("kv-audit (receiving 12288 of 26512 bytes)", Poll);
        await Expect(page.Locator("#uptime")).ToHaveTextAsync("1h 02m 03s");
        await Expect(page.Locator("#history tbody tr")).ToHaveCountAsync(3);
        // Newest first.
        await Expect(Cell(page, "history", 0, "event")).ToHaveTextAsync("rolled back");
        await Expect(Cell(page, "history", 0, "level")).ToHaveTextAsync("0");
        await Expect(Cell(page, "history", 0, "at_ms")).ToHaveTextAsync("1h 00m 00s (2m 03s ago)");
        await Expect(Cell(page, "history", 1, "event")).ToHaveTextAsync("refused");
        await Expect(Cell(page, "history", 1, "name")).ToHaveTextAsync("<img src=x onerror=alert(1)>");
        await Expect(Cell(page, "history", 1, "reason")).ToHaveTextAsync("the signature does not match the bundle and the trusted key");
        await Expect(Cell(page, "history", 2, "total_us")).ToHaveTextAsync("1.25 s");
        await Expect(Cell(page, "history", 2, "max_blocked_us")).ToHaveTextAsync("850 us");
        await Expect(page.Locator("#history tbody tr.refused")).ToHaveCountAsync(1);
        await Expect(page.Locator("img")).ToHaveCountAsync(0);
        await Expect(page.Locator("#classes tbody tr")).ToHaveCountAsync(2);
        await Expect(Cell(page, "classes", 1, "name")).ToHaveTextAsync("kv-audit");
        await Expect(Cell(page, "classes", 1, "version")).ToHaveTextAsync("3");

        // busy back to null; more than a day up.
        s["busy"] = null;
        s["uptime_ms"] = 90_061_000;
        server.Json = StatusJson.Text(s);
        await Expect(page.Locator("#busy")).ToHaveTextAsync("no", Poll);
        await Expect(page.Locator("#uptime")).ToHaveTextAsync("1d 01h 01m 01s");
        Assert.Empty(errors);
    }

    [ChromiumFact]
    public async Task Survives_missing_and_null_fields()
    {
        await using var server = new ScriptedStatusServer("""{"level": 2, "patches": null, "classes": [], "busy": ""}""");
        var errors = new List<string>();
        var page = await Open(server, errors);
        await Expect(page.Locator("#level")).ToHaveTextAsync("2", Poll);
        await Expect(page.Locator("#build-id")).ToHaveTextAsync("-");
        await Expect(page.Locator("#uptime")).ToHaveTextAsync("-");
        await Expect(page.Locator("#patch-memory")).ToHaveTextAsync("-, - reserved");
        await Expect(page.Locator("#busy")).ToHaveTextAsync("no");
        await Expect(page.Locator("#patches tbody tr")).ToHaveCountAsync(0);
        await Expect(page.Locator("#classes-empty")).ToBeVisibleAsync();
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();

        // Rows whose fields are missing render as dashes.
        server.Json = """{"level": 3, "patches": [{}], "history": [{"event": "applied"}], "classes": [{"name": "kv"}]}""";
        await Expect(page.Locator("#level")).ToHaveTextAsync("3", Poll);
        await Expect(Cell(page, "patches", 0, "name")).ToHaveTextAsync("-");
        await Expect(Cell(page, "patches", 0, "applied_at_ms")).ToHaveTextAsync("-");
        await Expect(Cell(page, "history", 0, "total_us")).ToHaveTextAsync("-");
        await Expect(Cell(page, "classes", 0, "version")).ToHaveTextAsync("-");

        // Not JSON at all: the banner, not a script error.
        server.Json = "<html>proxy error</html>";
        await Expect(page.Locator("#banner")).ToBeVisibleAsync(new() { Timeout = 7000 });
        Assert.Empty(errors);
    }
}
