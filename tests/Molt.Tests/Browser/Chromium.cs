using Microsoft.Playwright;
using Xunit;

namespace Molt.Tests.Browser;

/// <summary>
/// Debian's chromium (<c>/usr/bin/chromium</c>, package <c>chromium</c>,
/// installed by image/deps.sh for <c>make test</c>), driven by Playwright.
/// Playwright never downloads a browser here: it is told the executable.
/// MOLT_CHROMIUM names another binary.
/// </summary>
public static class Chromium
{
    /// <summary>The browser binary the tests drive.</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("MOLT_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>
    /// Why browser tests can't run here, or null if they can. Under CI
    /// (.ci/run sets <c>MOLT_REQUIRE_CHROMIUM=1</c>; or <c>CI=true</c>) a
    /// missing browser is never a skip: image/deps.sh installs it there, so
    /// its absence is a failure the test reports.
    /// </summary>
    public static string? Unavailable()
    {
        if (File.Exists(ExecutablePath)) return null;
        if (Environment.GetEnvironmentVariable("MOLT_REQUIRE_CHROMIUM") == "1" || Environment.GetEnvironmentVariable("CI") == "true") return null;
        return $"{ExecutablePath} is not installed (bash image/deps.sh installs the Debian package chromium)";
    }

    /// <summary>Starts Playwright's driver and a headless chromium; bounded to <paramref name="timeout"/>.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync(TimeSpan timeout)
    {
        if (!File.Exists(ExecutablePath))
            throw new FileNotFoundException($"chromium is not installed at {ExecutablePath} (bash image/deps.sh installs the Debian package chromium)", ExecutablePath);
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Timeout = (float)timeout.TotalMilliseconds,
                // Root has no user namespace sandbox in a container; the pages are our own and local.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}

/// <summary>A fact that needs chromium: skipped, with the reason, when it is not installed (never under CI).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Skips unless chromium is there.</summary>
    public ChromiumFactAttribute() => Skip = Chromium.Unavailable();
}

/// <summary>
/// One browser per test class (an xunit class fixture): each test opens its
/// own context and page, so tests stay independent while the ~1 s browser
/// start is paid once. Started lazily, so a skipped class starts nothing.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The browser, started on first use.</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_browser == null)
                (_playwright, _browser) = await Chromium.LaunchAsync(TimeSpan.FromSeconds(30));
            return _browser;
        }
        finally { _gate.Release(); }
    }

    /// <summary>A fresh page in its own context, with short default time-outs (seconds, not Playwright's 30).</summary>
    public async Task<IPage> NewPageAsync(float timeoutMs = 8000)
    {
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync();
        context.SetDefaultTimeout(timeoutMs);
        context.SetDefaultNavigationTimeout(timeoutMs * 2);
        return await context.NewPageAsync();
    }

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_browser != null) await _browser.CloseAsync();
        _playwright?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The theory form of <see cref="ChromiumFactAttribute"/> (rows may skip on their own, e.g. <c>OnArch</c>).</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless chromium is there.</summary>
    public ChromiumTheoryAttribute() => Skip = Chromium.Unavailable();
}
