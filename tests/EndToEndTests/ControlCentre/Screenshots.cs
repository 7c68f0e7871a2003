using Microsoft.Playwright;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>Screenshots kept as test artifacts: bin/…/TestResults/screenshots/, or SCREENSHOT_DIR when set.</summary>
public static class Screenshots
{
    public static string Directory { get; } = Environment.GetEnvironmentVariable("SCREENSHOT_DIR") is { Length: > 0 } configured
        ? configured
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public static async Task SaveAsync(IPage page, string name, bool fullPage = false)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), FullPage = fullPage });
    }
}
