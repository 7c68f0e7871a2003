using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>The page in Dutch: from a Dutch browser before sign-in, from the account's language after it.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task A_new_user_of_the_dutch_organisation_signs_in_wholly_in_dutch_from_a_dutch_browser_and_switches_to_english()
    {
        // A user the demo organisation (Dutch) adds has chosen no language: the organisation's, Dutch, is theirs.
        var (name, email) = OwnUser("Nieuwe Collega", "nieuwe.collega");
        const string phone = "+46701740661";
        const string password = "quiet-harbour-lantern-42";
        var admin = await ApiSessionAsync(Admin, AdminPhone);
        await admin.PostAsync("/api/users", new { email, displayName = name, role = "Employee", phone, password });

        var context = await _chromium.NewContextAsync(_stack.Gateway.BaseAddress!, locale: "nl-NL");
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => _browserErrors.Add(error);
        ILocator Named(AriaRole role, string text) => page.GetByRole(role, new() { Name = text, Exact = true });
        ILocator Labelled(string label) => page.GetByLabel(label, new() { Exact = true });

        await page.GotoAsync("/");
        await Expect(Named(AriaRole.Heading, "Inloggen bij het Control Centre")).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "nl");
        await Expect(page.GetByText("Gebruik je zakelijke e-mailadres. Daarna sturen we een code naar je mobiele telefoon."))
            .ToBeVisibleAsync();
        await Expect(Named(AriaRole.Button, "Wachtwoord vergeten?")).ToBeVisibleAsync();

        // The switch in the header, before sign-in: remembered in this browser.
        await Named(AriaRole.Button, "English").ClickAsync();
        await Expect(Named(AriaRole.Heading, "Sign in to the Control Centre")).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(Named(AriaRole.Button, "Nederlands")).ToBeFocusedAsync();
        await Expect(Named(AriaRole.Button, "Nederlands")).ToHaveAttributeAsync("lang", "nl");
        await Named(AriaRole.Button, "Nederlands").ClickAsync();
        await Expect(Named(AriaRole.Heading, "Inloggen bij het Control Centre")).ToBeVisibleAsync();
        Assert.Equal("nl", await page.EvaluateAsync<string>("localStorage.getItem('flexwhere.cc.locale')"));
        await Accessibility.AssertNoSeriousViolationsAsync(page, "sign-in (Dutch)");

        await Labelled("E-mailadres").FillAsync(email);
        await Labelled("Wachtwoord").FillAsync("not-the-password-at-all");
        await Named(AriaRole.Button, "Inloggen").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Het e-mailadres of het wachtwoord klopt niet.");
        await Expect(Labelled("Wachtwoord")).ToBeFocusedAsync();
        await Screenshots.SaveAsync(page, "12-sign-in-dutch");

        await Labelled("Wachtwoord").FillAsync(password);
        var before = await _inbox.LatestSentAtAsync(phone, _timeout.Token);
        await Named(AriaRole.Button, "Inloggen").ClickAsync();
        await Expect(Named(AriaRole.Heading, "Vul je inlogcode in")).ToBeVisibleAsync();
        await Expect(page.Locator("#code-hint")).ToHaveTextAsync(DutchPhoneHint());
        await Expect(page.Locator("#resend")).ToHaveTextAsync(DutchWaitingToResend());
        await Expect(Labelled("Inlogcode")).ToBeFocusedAsync();
        await Expect(Named(AriaRole.Button, "Controleren en inloggen")).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "code step (Dutch)");

        var code = await _inbox.WaitForCodeAsync(phone, before, _timeout.Token);
        await Labelled("Inlogcode").FillAsync(WrongCode(code));
        await Named(AriaRole.Button, "Controleren en inloggen").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Die code klopt niet. Je kunt het nog 4 keer proberen.");
        await Labelled("Inlogcode").FillAsync(code);
        await Labelled("Onthoud dit apparaat 30 dagen").CheckAsync();
        await Screenshots.SaveAsync(page, "13-code-dutch");
        await Named(AriaRole.Button, "Controleren en inloggen").ClickAsync();

        await Expect(Named(AriaRole.Heading, $"Welkom, {name}")).ToBeVisibleAsync();
        await Expect(page.Locator(".profile")).ToContainTextAsync("Medewerker");
        await Expect(Named(AriaRole.Heading, "Vertrouwde apparaten")).ToBeVisibleAsync();
        var device = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "deze browser" });
        // Dates in the Dutch form: "30 nov 2026, 07:45", the month in lower case.
        await Expect(device.Locator("td").First).ToHaveTextAsync(DutchDate());
        await Expect(Named(AriaRole.Button, "Uitloggen")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "14-signed-in-dutch", fullPage: true);

        // Signed in, the switch saves the account's language: a reload (the account's language, from /api/me) keeps it.
        await Named(AriaRole.Button, "English").ClickAsync();
        await Expect(Named(AriaRole.Heading, $"Welcome, {name}")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(Named(AriaRole.Heading, $"Welcome, {name}")).ToBeVisibleAsync();
        await Expect(device).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "this browser" }).Locator("td").First)
            .ToHaveTextAsync(EnglishDate());
        await context.DisposeAsync();
        Assert.Empty(_browserErrors);
    }

    [GeneratedRegex(@"^Vul de code in die we naar \+46 7 •+ •+61 hebben gestuurd\.$")]
    private static partial Regex DutchPhoneHint();

    [GeneratedRegex(@"^Stuur een nieuwe code \(over \d+ seconden?\)$")]
    private static partial Regex DutchWaitingToResend();

    [GeneratedRegex(@"^\d{1,2} (jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec)\.? \d{4}")]
    private static partial Regex DutchDate();

    [GeneratedRegex(@"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec) \d{4}")]
    private static partial Regex EnglishDate();
}
