using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using FlexWhere.EndToEndTests;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>
/// Passkeys in real Chromium, answered by Chromium's virtual authenticator (DevTools protocol, WebAuthn domain): the
/// browser signs with a real key for the page's origin, and Accounts checks it with the Fido2 library. The admin is the
/// first admin of an organisation of the test's own (the operator route), whose passwordless sign-in the test switches.
/// </summary>
public sealed partial class SignInTests
{
    private const string OwnPassword = "copper-kettle-meadow-81";

    [Fact]
    public async Task An_admin_adds_a_passkey_signs_in_with_it_without_an_sms_and_without_a_password_and_a_copied_key_is_refused()
    {
        var (email, phone) = await NewOrganisationAdminAsync();
        var admin = await ApiSessionAsync(email, phone, OwnPassword);
        await admin.PutAsync("/api/organisation/settings", new { passwordlessSignIn = true });

        var devTools = await _page.Context.NewCDPSessionAsync(_page);
        await devTools.SendAsync("WebAuthn.enable");
        var authenticator = await AddVirtualAuthenticatorAsync(devTools);

        // Just signed in with a code: adding a passkey and linking the app need no step-up for a few minutes.
        await SignInWithCodeAsync(email, phone, password: OwnPassword);
        await Expect(Heading("Welcome, Passkey Admin")).ToBeVisibleAsync();
        var security = _page.GetByRole(AriaRole.Region, new() { Name = "My security" });
        await Expect(security.GetByText("No passkeys yet.")).ToBeVisibleAsync();
        await security.GetByLabel("Name for the passkey", new() { Exact = true }).FillAsync("Work laptop");
        await security.GetByRole(AriaRole.Button, new() { Name = "Add a passkey", Exact = true }).ClickAsync();
        await Expect(security.GetByRole(AriaRole.Status))
            .ToHaveTextAsync("Passkey “Work laptop” added: you can use it at your next sign-in.");
        var row = security.GetByRole(AriaRole.Row).Filter(new() { HasText = "Work laptop" });
        // Added today, not used yet, a key bound to this authenticator (not synced).
        var cells = row.GetByRole(AriaRole.Cell);
        await Expect(cells.Nth(0)).ToHaveTextAsync(DateText());
        await Expect(cells.Nth(1)).ToHaveTextAsync("—");
        await Expect(cells.Nth(2)).ToHaveTextAsync("No");
        await Expect(security.GetByRole(AriaRole.Button, new() { Name = "Add a passkey", Exact = true })).ToBeFocusedAsync();

        // The authenticator app: the QR code and the key, confirmed with a code from an independent implementation (oathtool).
        await security.GetByRole(AriaRole.Button, new() { Name = "Link an authenticator app", Exact = true }).ClickAsync();
        await Expect(security.GetByRole(AriaRole.Img, new() { Name = "QR code to add FlexWhere to your authenticator app" }))
            .ToBeVisibleAsync();
        var code = security.GetByLabel("Authenticator code", new() { Exact = true });
        await Expect(code).ToBeFocusedAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "my security, passkey added, authenticator app QR code");
        await security.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Directory, "16-my-security.png") });
        await code.FillAsync(Totp((await security.Locator("#authenticator-secret").TextContentAsync())!.Replace(" ", "")));
        await _page.Keyboard.PressAsync("Enter");
        await Expect(security.GetByRole(AriaRole.Status))
            .ToHaveTextAsync("Your authenticator app is linked: you can sign in with its codes.");

        // Password and passkey: the passkey is offered first, the app and SMS one click away, and no SMS is sent.
        var lastSms = await _inbox.LatestSentAtAsync(phone, _timeout.Token);
        await SignOutAndSignInAsync(email, OwnPassword);
        await Expect(Heading("Confirm with your passkey")).ToBeVisibleAsync();
        await Expect(Button("Use my passkey")).ToBeFocusedAsync();
        await Expect(_page.GetByRole(AriaRole.Group, new() { Name = "Other ways to sign in" }).GetByRole(AriaRole.Button))
            .ToHaveTextAsync(new[] { "Use your authenticator app instead", "Send me a code by SMS" });
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "passkey as the second factor");
        await Screenshots.SaveAsync(_page, "17-passkey-factor");
        await Button("Use my passkey").ClickAsync();
        await Expect(Heading("Welcome, Passkey Admin")).ToBeVisibleAsync();
        await Expect(cells.Nth(1)).ToHaveTextAsync(DateText());

        // Passwordless, where the organisation allows it; refused with its reason where it does not.
        await Button("Sign out").ClickAsync();
        await Button("Sign in with a passkey").ClickAsync();
        await Expect(Heading("Welcome, Passkey Admin")).ToBeVisibleAsync();
        Assert.Equal(lastSms, await _inbox.LatestSentAtAsync(phone, _timeout.Token));

        await admin.PutAsync("/api/organisation/settings", new { passwordlessSignIn = false });
        await Button("Sign out").ClickAsync();
        await Button("Sign in with a passkey").ClickAsync();
        await Expect(_page.Locator("#sign-in-error")).ToHaveTextAsync("Your organisation does not allow signing in with a passkey alone: " +
            "sign in with your e-mail address and password, then use your passkey.");
        await Expect(Button("Sign in with a passkey")).ToBeFocusedAsync();
        await admin.PutAsync("/api/organisation/settings", new { passwordlessSignIn = true });

        // A copy of the key (its private key taken out of the authenticator, on another one whose counter starts again) signs
        // with a counter the server has seen: the page shows the refusal and stays on sign-in.
        var original = await SendAsync(devTools, "WebAuthn.getCredentials", new() { ["authenticatorId"] = authenticator });
        var key = original.GetProperty("credentials")[0];
        Assert.True(key.GetProperty("signCount").GetInt32() >= 3, $"The passkey signed three times: {key}");
        // Chromium has one platform authenticator at a time: the original goes before its copy comes.
        await devTools.SendAsync("WebAuthn.removeVirtualAuthenticator", new() { ["authenticatorId"] = authenticator });
        var copy = await AddVirtualAuthenticatorAsync(devTools);
        await devTools.SendAsync("WebAuthn.addCredential", new()
        {
            ["authenticatorId"] = copy,
            ["credential"] = new Dictionary<string, object>
            {
                ["credentialId"] = key.GetProperty("credentialId").GetString()!,
                ["isResidentCredential"] = true,
                ["rpId"] = key.GetProperty("rpId").GetString()!,
                ["privateKey"] = key.GetProperty("privateKey").GetString()!,
                ["userHandle"] = key.GetProperty("userHandle").GetString()!,
                ["signCount"] = 0,
            },
        });
        await Button("Sign in with a passkey").ClickAsync();
        await Expect(_page.Locator("#sign-in-error")).ToHaveTextAsync("This passkey's answer repeats an earlier one. Use another passkey " +
            "or way to sign in, and tell your administrator.");
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(_page, "18-copied-passkey-refused");

        // SMS on request: the code is texted only when picked, and the code step takes it.
        var beforeSms = await _inbox.LatestSentAtAsync(phone, _timeout.Token);
        await Field("Password").FillAsync(OwnPassword);
        await Button("Sign in").ClickAsync();
        await Expect(Heading("Confirm with your passkey")).ToBeVisibleAsync();
        Assert.Equal(beforeSms, await _inbox.LatestSentAtAsync(phone, _timeout.Token));
        await Button("Send me a code by SMS").ClickAsync();
        await Expect(Heading("Enter your sign-in code")).ToBeVisibleAsync();
        await Expect(_page.GetByRole(AriaRole.Status)).ToHaveTextAsync(new Regex(@"^We sent a code to \+46 .*\.$"));
        await Expect(Field("Sign-in code")).ToBeFocusedAsync();
        await Expect(Button("Use a passkey instead")).ToBeVisibleAsync();
        await Field("Sign-in code").FillAsync(await _inbox.WaitForCodeAsync(phone, beforeSms, _timeout.Token));
        await Button("Verify and sign in").ClickAsync();
        await Expect(Heading("Welcome, Passkey Admin")).ToBeVisibleAsync();

        // Renaming needs no step-up: a dialog with the name in focus.
        await security.GetByRole(AriaRole.Button, new() { Name = "Rename Work laptop", Exact = true }).ClickAsync();
        var rename = _page.GetByRole(AriaRole.Dialog, new() { Name = "Rename Work laptop" });
        await Expect(rename.GetByLabel("Name for the passkey", new() { Exact = true })).ToBeFocusedAsync();
        await rename.GetByLabel("Name for the passkey", new() { Exact = true }).FillAsync("Laptop at home");
        await _page.Keyboard.PressAsync("Enter");
        await Expect(rename).ToHaveCountAsync(0);
        await Expect(security.GetByRole(AriaRole.Status)).ToHaveTextAsync("Passkey renamed to “Laptop at home”.");
        await Expect(security.GetByRole(AriaRole.Rowheader)).ToHaveTextAsync("Laptop at home");
        Assert.Empty(_browserErrors);
    }

    /// <summary>A new organisation through the operator route, and its first admin, who has accepted the invitation.</summary>
    private async Task<(string Email, string Phone)> NewOrganisationAdminAsync(string purpose = "passkeys", string adminName = "Passkey Admin")
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        var (email, phone) = ($"e2e-{purpose}-{run}@kontor.example", SwedishMobile());
        using var accounts = _stack.App.CreateHttpClient("accounts");
        using var provision = new HttpRequestMessage(HttpMethod.Post, "/operator/organisations")
        {
            Headers = { { "X-Operator-Key", AppHostFixture.OperatorKey } },
            Content = JsonContent.Create(new { name = $"{purpose} {run}", country = "SE", adminEmail = email, adminName, adminPhone = phone }),
        };
        using var created = await accounts.SendAsync(provision, _timeout.Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var (_, token) = await DevInbox.MailAsync(_stack.Gateway, email, "Your FlexWhere account is ready", _timeout.Token);
        var seen = await DevInbox.CountToAsync(_stack.Gateway, phone, _timeout.Token);
        using var sent = await _stack.Gateway.PostAsJsonAsync("/api/auth/password/reset", new { token, password = OwnPassword },
            _timeout.Token);
        sent.EnsureSuccessStatusCode();
        var code = await DevInbox.NextCodeAsync(_stack.Gateway, phone, seen, _timeout.Token);
        using var set = await _stack.Gateway.PostAsJsonAsync("/api/auth/password/reset", new { token, password = OwnPassword, code },
            _timeout.Token);
        set.EnsureSuccessStatusCode();
        return (email, phone);
    }

    /// <summary>A number in a Swedish mobile range: the test organisations are Swedish.</summary>
    private static string SwedishMobile() => $"+4670{Random.Shared.Next(1_000_000, 9_999_999)}";

    /// <summary>A platform authenticator with discoverable keys that verifies its user and answers at once.</summary>
    private static async Task<string> AddVirtualAuthenticatorAsync(ICDPSession devTools) =>
        (await SendAsync(devTools, "WebAuthn.addVirtualAuthenticator", new()
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        })).GetProperty("authenticatorId").GetString()!;

    private static async Task<JsonElement> SendAsync(ICDPSession devTools, string method, Dictionary<string, object> arguments) =>
        await devTools.SendAsync(method, arguments) ?? throw new InvalidOperationException($"{method} answered nothing.");

    /// <summary>A date and time as the page shows them in English: "30 Nov 2026, 07:03".</summary>
    [GeneratedRegex(@"^\d{1,2} \w{3,4} \d{4}, \d\d:\d\d$")]
    private static partial Regex DateText();

    /// <summary>oathtool's (an independent implementation's) code for a base32 secret now.</summary>
    private static string Totp(string base32)
    {
        var start = new ProcessStartInfo("/usr/bin/oathtool") { RedirectStandardOutput = true };
        foreach (var argument in new[] { "--totp", "-b", base32 }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var code = process.StandardOutput.ReadToEnd().Trim();
        Assert.True(process.WaitForExit(10_000) && process.ExitCode == 0, "oathtool failed");
        return code;
    }
}
