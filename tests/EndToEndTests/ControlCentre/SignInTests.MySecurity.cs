using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>My security beyond passkeys: recovery codes behind a step-up, the sessions, and the trusted devices ended at once.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task A_manager_on_a_trusted_device_creates_recovery_codes_after_a_step_up_and_ends_the_sessions_and_devices()
    {
        // On a trusted device no code is sent, so this session has proved no second factor recently.
        await SignInWithCodeAsync(Manager, ManagerPhone, rememberDevice: true);
        await Expect(Heading("Welcome, Demo Manager")).ToBeVisibleAsync();
        await SignOutAndSignInAsync(Manager);
        await Expect(Heading("Welcome, Demo Manager")).ToBeVisibleAsync();
        var sessions = _page.GetByRole(AriaRole.Region, new() { Name = "Active sessions" });
        await Expect(sessions.GetByRole(AriaRole.Row).Filter(new() { HasText = "this session" }).GetByRole(AriaRole.Rowheader))
            .ToContainTextAsync($"Control Centre, {ThisBrowser}");

        var security = _page.GetByRole(AriaRole.Region, new() { Name = "My security" });
        await security.GetByRole(AriaRole.Button, new() { Name = "Create new recovery codes", Exact = true }).ClickAsync();
        var stepUp = _page.GetByRole(AriaRole.Dialog, new() { Name = "Confirm it is you" });
        var before = await _inbox.LatestSentAtAsync(ManagerPhone, _timeout.Token);
        await stepUp.GetByRole(AriaRole.Button, new() { Name = "Send a code by SMS", Exact = true }).ClickAsync();
        await stepUp.GetByLabel("Code from the SMS", new() { Exact = true })
            .FillAsync(await _inbox.WaitForCodeAsync(ManagerPhone, before, _timeout.Token));
        await _page.Keyboard.PressAsync("Enter");
        await Expect(stepUp).ToHaveCountAsync(0);

        // Shown once, in focus, readable, and ready to copy or download.
        var list = security.GetByRole(AriaRole.List, new() { Name = "Your new recovery codes" });
        await Expect(list).ToBeFocusedAsync();
        var codes = await list.GetByRole(AriaRole.Listitem).AllInnerTextsAsync();
        Assert.Equal(10, codes.Count);
        Assert.All(codes, code => Assert.Matches(RecoveryCodeFormat(), code));
        await Expect(security.GetByText(new Regex(@"^You have 10 unused recovery codes, created "))).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "my security, new recovery codes");
        await security.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Directory, "20-recovery-codes.png") });
        var download = await _page.RunAndWaitForDownloadAsync(() =>
            security.GetByRole(AriaRole.Button, new() { Name = "Download", Exact = true }).ClickAsync());
        Assert.Equal("flexwhere-recovery-codes.txt", download.SuggestedFilename);
        var file = await File.ReadAllTextAsync(await download.PathAsync(), _timeout.Token);
        Assert.StartsWith($"FlexWhere recovery codes for {Manager}, created ", file);
        Assert.All(codes, code => Assert.Contains(code, file));
        // Copy puts the same text on the clipboard (the browser asks the person; the test grants it).
        await _page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await security.GetByRole(AriaRole.Button, new() { Name = "Copy", Exact = true }).ClickAsync();
        await Expect(security.GetByRole(AriaRole.Status).Filter(new() { HasText = "copied" })).ToHaveTextAsync("The codes are copied.");
        Assert.Equal(file, await _page.EvaluateAsync<string>("navigator.clipboard.readText()"));

        await sessions.GetByRole(AriaRole.Button, new() { Name = "End every other session", Exact = true }).ClickAsync();
        await Expect(sessions.GetByRole(AriaRole.Status))
            .ToHaveTextAsync(new Regex(@"^(There were no other sessions|\d+ other sessions? ended)\.$"));
        await Expect(sessions.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);

        // Revoking every trusted device ends the session this browser's trust opened: back to sign in.
        await Button("Revoke all trusted devices").ClickAsync();
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your session has ended. Sign in again.");
        Assert.DoesNotContain(Manager, await _page.EvaluateAsync<string>("localStorage.getItem('flexwhere.cc.deviceTokens')"));
        Assert.Empty(_browserErrors);
    }

    [GeneratedRegex("^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$")]
    private static partial Regex RecoveryCodeFormat();
}
