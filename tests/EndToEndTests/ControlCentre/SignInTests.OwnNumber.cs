using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>A manager's own number, proved by a code to the new number, and their password; then an admin finds the manager by
/// search and deletes them.
/// The manager is the test's own, so the seed's numbers stay as the other tests expect them.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task A_manager_changes_their_own_number_with_a_code_to_it_and_their_password_and_an_admin_finds_and_deletes_them()
    {
        var (name, email) = OwnUser("Own Number", "own.number");
        var (phone, newPhone) = (SwedishMobile(), SwedishMobile());
        var admin = await ApiSessionAsync(Admin, AdminPhone);
        await admin.PostAsync("/api/users", new { email, displayName = name, role = "Manager", phone, password = OwnPassword });

        // A new user of the Dutch demo organisation gets Dutch; the switch makes it English (the texts below are English).
        await SignInWithCodeAsync(email, phone, password: OwnPassword);
        await Expect(Heading($"Welkom, {name}")).ToBeVisibleAsync();
        await Button("English").ClickAsync();
        await Expect(Heading($"Welcome, {name}")).ToBeVisibleAsync();
        var mine = _page.GetByRole(AriaRole.Region, new() { Name = "Your mobile number" });
        await mine.GetByLabel("Mobile phone", new() { Exact = true }).FillAsync(newPhone);
        var before = await _inbox.LatestSentAtAsync(newPhone, _timeout.Token);
        await mine.GetByRole(AriaRole.Button, new() { Name = "Send a code to the new number", Exact = true }).ClickAsync();
        var code = mine.GetByLabel("Code sent to the new number", new() { Exact = true });
        await Expect(code).ToBeFocusedAsync();
        await Expect(mine.GetByRole(AriaRole.Status)).ToHaveTextAsync(new Regex(@"^We sent a code to \+46 7 •••• ••\d\d\. Enter it"));
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "your mobile number, code sent");
        await code.FillAsync(await _inbox.WaitForCodeAsync(newPhone, before, _timeout.Token));
        await _page.Keyboard.PressAsync("Enter");
        var masked = $"+46 7 •••• ••{newPhone[^2..]}";
        await Expect(mine.GetByRole(AriaRole.Status))
            .ToHaveTextAsync($"Your number is now {masked}. Your other sessions and trusted devices have ended.");

        // A wrong current password is refused at its field; the right one changes it, and the new one signs in.
        var password = _page.GetByRole(AriaRole.Region, new() { Name = "Password", Exact = true });
        var current = password.GetByLabel("Current password", new() { Exact = true });
        var changed = password.GetByLabel("New password (at least 12 characters)", new() { Exact = true });
        const string newPassword = "Another-Long-Passphrase-2026";
        await current.FillAsync("not-the-password-at-all");
        await changed.FillAsync(newPassword);
        await password.GetByRole(AriaRole.Button, new() { Name = "Change password", Exact = true }).ClickAsync();
        await Expect(password.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your current password is not right.");
        await Expect(current).ToBeFocusedAsync();
        await current.FillAsync(OwnPassword);
        await password.GetByRole(AriaRole.Button, new() { Name = "Change password", Exact = true }).ClickAsync();
        await Expect(password.GetByRole(AriaRole.Status))
            .ToHaveTextAsync("Your password is changed. Your other sessions and trusted devices have ended.");
        await Button("Sign out").ClickAsync();
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await SignInWithCodeAsync(email, newPhone, password: newPassword);
        await Expect(Heading($"Welcome, {name}")).ToBeVisibleAsync();

        // The admin finds the manager by a part of the address, sees the new number masked, and deletes the account in two steps.
        await Button("Sign out").ClickAsync();
        // Signed out (the refresh token gone) before the next sign-in loads the page again.
        await Expect(Heading("Sign in to the Control Centre")).ToBeVisibleAsync();
        await SignInWithCodeAsync(Admin, AdminPhone);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        await Field("Search by name or e-mail address").FillAsync(email.Split('@')[0]);
        await _page.Keyboard.PressAsync("Enter");
        var rows = _page.GetByRole(AriaRole.Table, new() { Name = "Users of your organisation" }).Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Locator("td.phone")).ToHaveTextAsync(masked);
        await Button(name).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Edit {name}" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete this user", Exact = true }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = $"Delete {name} for good", Exact = true }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(_page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is deleted" })).ToHaveTextAsync($"{email} is deleted.");
        await Expect(rows).ToHaveCountAsync(0);
        Assert.Empty(_browserErrors);
    }
}
