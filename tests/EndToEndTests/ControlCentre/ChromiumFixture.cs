using Microsoft.Playwright;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>
/// Debian's Chromium headless shell (/usr/bin/chromium-headless-shell, installed by scripts/ensure-servers.sh),
/// driven by Playwright: the full browser in its headless mode took more than twice the CPU for the same tests.
/// Playwright never downloads a browser here: no machine of this project can fetch one.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium-headless-shell";

    // Without the background-networking flags Chromium keeps calling home, and this network refuses it.
    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's Chromium headless shell at {ExecutablePath}: run scripts/ensure-servers.sh " +
                    $"--test-tools or `apt-get install chromium-headless-shell`.");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        // Playwright gives each launch a fresh, empty profile directory of its own.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            Timeout = 60_000,
        });
    }

    /// <summary>A new browser profile (its own localStorage and sessionStorage) on the Gateway's origin, in the
    /// browser language <paramref name="locale"/>.</summary>
    public Task<IBrowserContext> NewContextAsync(Uri gateway, string locale = "en-GB") =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = gateway.ToString(),
            ViewportSize = new ViewportSize { Width = 1000, Height = 720 },
            Locale = locale,
            TimezoneId = "UTC",
        });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
