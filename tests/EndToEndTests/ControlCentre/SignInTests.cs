using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using FlexWhere.EndToEndTests;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>
/// The Control Centre page in Debian's Chromium, served by the real Gateway of a real AppHost: a person
/// signs in, reads the code from the development inbox, types it, and uses the signed-in view.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed partial class SignInTests : IAsyncLifetime
{
    // The Development seed (shared/API.md; Accounts' DevelopmentSeed).
    private const string Password = "FlexWhere-Demo-2026!";
    private const string Admin = "admin@demo.flexwhere.test";
    private const string AdminPhone = "+46701740678";
    private const string Manager = "manager@demo.flexwhere.test";
    private const string ManagerPhone = "+46701740679";
    private const string Employee = "employee@demo.flexwhere.test";
    private const string EmployeePhone = "+46701740680";
    private const string ThisBrowser = "Chrome on Linux";

    private readonly AppHostFixture _stack;
    private readonly ChromiumFixture _chromium;
    private readonly DevelopmentInbox _inbox;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly List<string> _browserErrors = [];
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public SignInTests(AppHostFixture stack, ChromiumFixture chromium)
    {
        _stack = stack;
        _chromium = chromium;
        _inbox = new DevelopmentInbox(stack.Gateway);
        SetDefaultExpectTimeout(15_000);
    }

    public async Task InitializeAsync()
    {
        _context = await _chromium.NewContextAsync(_stack.Gateway.BaseAddress!);
        _page = await _context.NewPageAsync();
        // A blocked script or style (the content security policy) or an uncaught error fails the test.
        // (Chromium also logs every 4xx answer as an error; the refusals the tests provoke are expected.)
        _page.Console += (_, message) =>
        {
            if (message.Type == "error"
                && !message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal))
            {
                _browserErrors.Add(message.Text);
            }
        };
        _page.PageError += (_, error) => _browserErrors.Add(error);
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task An_admin_signs_in_with_the_code_from_the_inbox_remembers_the_browser_and_revokes_it()
    {
        await _page.GotoAsync("/");
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await Field("E-mail address").FillAsync(Admin);
        await Field("Password").FillAsync(Password);
        await Screenshots.SaveAsync(_page, "01-sign-in");
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "sign-in");
        var before = await _inbox.LatestSentAtAsync(AdminPhone, _timeout.Token);
        await Button("Sign in").ClickAsync();

        await Expect(Heading("Enter your sign-in code")).ToBeVisibleAsync();
        await Expect(_page.Locator("#code-hint")).ToHaveTextAsync(PhoneHintSentence());
        await Expect(_page.Locator("#code-hint")).Not.ToContainTextAsync("740678");
        await Expect(_page.GetByRole(AriaRole.Link, new() { Name = "Open the development SMS inbox" }))
            .ToHaveAttributeAsync("href", "/dev/sms/view");
        var codeField = Field("Sign-in code");
        await Expect(codeField).ToBeFocusedAsync();
        await Expect(codeField).ToHaveAttributeAsync("autocomplete", "one-time-code");
        await Expect(codeField).ToHaveAttributeAsync("inputmode", "numeric");
        var resend = _page.Locator("#resend");
        await Expect(resend).ToBeDisabledAsync();
        await Expect(resend).ToHaveTextAsync(WaitingToResend());

        await codeField.FillAsync(await _inbox.WaitForCodeAsync(AdminPhone, before, _timeout.Token));
        await Field("Remember this device for 30 days").CheckAsync();
        await Screenshots.SaveAsync(_page, "02-code");
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "code step");
        await Button("Verify and sign in").ClickAsync();

        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        var device = _page.GetByRole(AriaRole.Row).Filter(new() { HasText = "this browser" });
        await Expect(device).ToContainTextAsync(ThisBrowser);
        await Expect(_page.GetByRole(AriaRole.Table, new() { Name = "Users of your organisation" })).ToBeVisibleAsync();
        await Expect(_page.GetByText(ReadinessSentence())).ToBeVisibleAsync();
        await Expect(Field("Require a PIN to open the app")).ToBeEnabledAsync();
        await Screenshots.SaveAsync(_page, "03-signed-in", fullPage: true);
        Assert.Contains(Admin, await _page.EvaluateAsync<string>("localStorage.getItem('flexwhere.cc.deviceTokens')"));

        // The remembered browser skips the code at the next sign-in: no SMS is sent.
        var lastCode = await _inbox.LatestSentAtAsync(AdminPhone, _timeout.Token);
        await SignOutAndSignInAsync(Admin);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        Assert.Equal(lastCode, await _inbox.LatestSentAtAsync(AdminPhone, _timeout.Token));

        // Trust ends with the session it opened (Accounts ends it): the page says so and asks to sign in again.
        await Button($"Revoke {ThisBrowser}").ClickAsync();
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your session has ended. Sign in again.");
        await Expect(Field("E-mail address")).ToHaveValueAsync(Admin);
        await Expect(Field("Password")).ToBeFocusedAsync();
        Assert.DoesNotContain(Admin, await _page.EvaluateAsync<string>("localStorage.getItem('flexwhere.cc.deviceTokens')"));
        await Screenshots.SaveAsync(_page, "04-device-revoked");

        await Field("Password").FillAsync(Password);
        await Button("Sign in").ClickAsync();
        await Expect(Heading("Enter your sign-in code")).ToBeVisibleAsync();
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task Forgot_password_asks_for_the_address_and_a_link_that_no_longer_works_says_what_to_do()
    {
        await _page.GotoAsync("/");
        await Field("E-mail address").FillAsync("nobody@demo.flexwhere.test");
        await Button("Forgot your password?").ClickAsync();

        await Expect(Heading("Choose a new password")).ToBeVisibleAsync();
        await Expect(Field("E-mail address")).ToHaveValueAsync("nobody@demo.flexwhere.test");
        await Button("E-mail me a link").ClickAsync();
        // The same words whether or not the address has an account.
        await Expect(_page.GetByRole(AriaRole.Status)).ToContainTextAsync("If this address has an account, an e-mail with a link");

        await _page.GotoAsync("/#/password?token=a-token-nobody-was-ever-sent-0123456789");
        await _page.ReloadAsync();
        await Expect(Heading("Choose your password")).ToBeVisibleAsync();
        await Expect(Field("New password (at least 12 characters)")).ToBeFocusedAsync();
        await Field("New password (at least 12 characters)").FillAsync("quiet-harbour-lantern-42");
        await Button("Save password").ClickAsync();
        await Expect(_page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This link no longer works");
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task A_wrong_code_says_how_many_attempts_are_left_and_the_whole_flow_works_by_keyboard()
    {
        await _page.GotoAsync("/");
        await Expect(Field("E-mail address")).ToBeFocusedAsync();
        var before = await _inbox.LatestSentAtAsync(ManagerPhone, _timeout.Token);
        await _page.Keyboard.TypeAsync(Manager);
        await _page.Keyboard.PressAsync("Tab");
        await _page.Keyboard.TypeAsync(Password);
        await _page.Keyboard.PressAsync("Enter");

        var codeField = Field("Sign-in code");
        await Expect(codeField).ToBeFocusedAsync();
        var code = await _inbox.WaitForCodeAsync(ManagerPhone, before, _timeout.Token);
        await _page.Keyboard.TypeAsync(WrongCode(code));
        await _page.Keyboard.PressAsync("Enter");

        await Expect(_page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That code is not right. You have 4 attempts left.");
        await Expect(codeField).ToBeFocusedAsync();
        await Expect(codeField).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(codeField).ToHaveValueAsync("");
        await Screenshots.SaveAsync(_page, "05-wrong-code");

        await _page.Keyboard.TypeAsync(code);
        await _page.Keyboard.PressAsync("Enter");
        await Expect(Heading("Welcome, Demo Manager")).ToBeVisibleAsync();
        await Expect(Heading("Welcome, Demo Manager")).ToBeFocusedAsync();
        // Managers see the settings but only admins change them.
        await Expect(_page.GetByText("Only administrators can change these settings.")).ToBeVisibleAsync();
        await Expect(Field("Require a PIN to open the app")).ToBeDisabledAsync();
        // And the user list, read-only: names are no buttons, and nobody is added.
        await Expect(_page.GetByText("Only administrators change users; you change your own number under “Your mobile number”.",
            new() { Exact = false })).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Table, new() { Name = "Users of your organisation" }).GetByText("Demo Employee"))
            .ToBeVisibleAsync();
        await Expect(Button("Demo Employee")).ToHaveCountAsync(0);
        await Expect(Button("Add a user")).ToHaveCountAsync(0);
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task An_expired_code_sends_the_person_back_to_sign_in_with_a_message_that_says_why()
    {
        await _page.GotoAsync("/");
        await Field("E-mail address").FillAsync(Manager);
        await Field("Password").FillAsync(Password);
        var before = await _inbox.LatestSentAtAsync(ManagerPhone, _timeout.Token);
        await Button("Sign in").ClickAsync();
        await Expect(Heading("Enter your sign-in code")).ToBeVisibleAsync();
        var code = await _inbox.WaitForCodeAsync(ManagerPhone, before, _timeout.Token);

        // The code's lifetime (5 minutes) ends now: its Redis key expires as at that lifetime's end.
        await _stack.ExpireSmsCodesAsync(_timeout.Token);
        await Field("Sign-in code").FillAsync(code);
        await Button("Verify and sign in").ClickAsync();

        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Alert))
            .ToHaveTextAsync("This code has expired or was already used. Sign in again to get a new code.");
        await Expect(Field("E-mail address")).ToHaveValueAsync(Manager);
        await Expect(Field("Password")).ToBeFocusedAsync();
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task An_admin_changes_the_mobile_pin_setting_and_it_is_still_set_after_a_reload()
    {
        await SignInWithCodeAsync(Admin, AdminPhone);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        var pin = Field("Require a PIN to open the app");
        await Expect(pin).ToBeEnabledAsync();
        var wasRequired = await pin.IsCheckedAsync();

        await pin.SetCheckedAsync(!wasRequired);
        await Field("PIN length").SelectOptionAsync("6");
        await Button("Save settings").ClickAsync();
        await Expect(_page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Settings saved." })).ToBeVisibleAsync();

        // A reload keeps the session (refresh token in sessionStorage) and shows what the server stored.
        await _page.ReloadAsync();
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        await Expect(Field("Require a PIN to open the app")).ToBeCheckedAsync(new() { Checked = !wasRequired });
        await Expect(Field("PIN length")).ToHaveValueAsync("6");

        // The user list masks every number but the signed-in user's own, even for an admin. The seed's manager
        // and employee are listed, and any users the end-to-end tests (same stack) added to the organisation.
        var others = _page.GetByRole(AriaRole.Table, new() { Name = "Users of your organisation" }).Locator("tbody tr")
            .Filter(new() { HasNotText = Admin });
        await Expect(others.Filter(new() { HasText = Manager })).ToHaveCountAsync(1);
        await Expect(others.Filter(new() { HasText = Employee })).ToHaveCountAsync(1);
        foreach (var phone in await others.Locator("td.phone").AllInnerTextsAsync())
        {
            Assert.Contains('•', phone);
            Assert.DoesNotMatch(@"\d{5}", phone.Replace(" ", "", StringComparison.Ordinal));
        }

        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task A_user_name_is_refused_with_the_message_to_use_the_e_mail_address()
    {
        await _page.GotoAsync("/");
        await Field("E-mail address").FillAsync("admin");
        await Field("Password").FillAsync(Password);
        await Button("Sign in").ClickAsync();

        await Expect(_page.GetByRole(AriaRole.Alert))
            .ToHaveTextAsync("Sign in with your e-mail address: user names can no longer be used to sign in.");
        await Expect(Field("E-mail address")).ToBeFocusedAsync();
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_employee_signs_in_with_a_code_too_and_sees_no_admin_sections()
    {
        // The Control Centre asks everyone for the second factor (Accounts' AuthApi), employees included.
        await SignInWithCodeAsync(Employee, EmployeePhone);

        await Expect(Heading("Welcome, Demo Employee")).ToBeVisibleAsync();
        await Expect(Heading("Trusted devices", level: 2)).ToBeVisibleAsync();
        await Expect(_page.GetByText("No trusted devices: every sign-in asks for an SMS code.")).ToBeVisibleAsync();
        await Expect(Heading("Users", level: 2)).ToHaveCountAsync(0);
        await Expect(Heading("Organisation settings", level: 2)).ToHaveCountAsync(0);
        Assert.Empty(_browserErrors);
    }

    /// <param name="page">Another browser context's page (a second person); this test's page by default.</param>
    private async Task SignInWithCodeAsync(string email, string phone, bool rememberDevice = false, string password = Password,
        IPage? page = null)
    {
        page ??= _page;
        ILocator Field(string label) => page.GetByLabel(label, new() { Exact = true });
        await page.GotoAsync("/");
        await Field("E-mail address").FillAsync(email);
        await Field("Password").FillAsync(password);
        var before = await _inbox.LatestSentAtAsync(phone, _timeout.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Enter your sign-in code", Exact = true })).ToBeVisibleAsync();
        await Field("Sign-in code").FillAsync(await _inbox.WaitForCodeAsync(phone, before, _timeout.Token));
        if (rememberDevice) await Field("Remember this device for 30 days").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify and sign in", Exact = true }).ClickAsync();
    }

    private async Task SignOutAndSignInAsync(string email, string password = Password)
    {
        await Button("Sign out").ClickAsync();
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await Expect(Field("E-mail address")).ToHaveValueAsync(email);
        await Field("Password").FillAsync(password);
        await Button("Sign in").ClickAsync();
    }

    private ILocator Heading(string name, int? level = null) =>
        _page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true, Level = level });

    private ILocator Field(string label) => _page.GetByLabel(label, new() { Exact = true });

    private ILocator Button(string name) => _page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    private static string WrongCode(string code) => code[..^1] + (code[^1] == '9' ? '0' : (char)(code[^1] + 1));

    [GeneratedRegex(@"^Enter the code we sent to \+46 .*78\.$")]
    private static partial Regex PhoneHintSentence();

    [GeneratedRegex(@"^Send a new code \(in \d+ seconds?\)$")]
    private static partial Regex WaitingToResend();

    [GeneratedRegex(@"^\d+ of \d+ admins and managers can receive a sign-in code\.$")]
    private static partial Regex ReadinessSentence();
}
