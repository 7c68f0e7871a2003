using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>An admin unlocks a user locked by wrong passwords, disables them (they then cannot sign in), enables them again,
/// and resets their sign-in factors, each from the user's dialog. The user is the test's own, so the seed users stay as the other tests expect them.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task An_admin_unlocks_a_locked_user_disables_them_so_they_cannot_sign_in_enables_them_and_resets_their_factors()
    {
        var (name, email) = OwnUser("Access Check", "access.check");
        var admin = await ApiSessionAsync(Admin, AdminPhone);
        await admin.PostAsync("/api/users", new { email, displayName = name, role = "Manager", phone = SwedishMobile(), password = OwnPassword });

        // Wrong passwords until the account locks.
        string? refusal = null;
        for (var attempt = 0; attempt < 20 && refusal != "account_locked"; attempt++) refusal = await LoginRefusalAsync(email, "wrong-" + attempt);
        Assert.Equal("account_locked", refusal);

        await SignInWithCodeAsync(Admin, AdminPhone);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        await Field("Search by name or e-mail address").FillAsync(email.Split('@')[0]);
        await _page.Keyboard.PressAsync("Enter");
        await Button(name).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Edit {name}" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Unlock", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("Unlocked: the user can sign in again.")).ToBeVisibleAsync();
        Assert.Null(await LoginRefusalAsync(email));

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Disable account", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("The account is disabled: its sessions and trusted devices have ended.")).ToBeVisibleAsync();
        Assert.Equal("account_disabled", await LoginRefusalAsync(email));

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Enable account", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("The account is enabled: the user can sign in again.")).ToBeVisibleAsync();
        Assert.Null(await LoginRefusalAsync(email));

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Reset sign-in factors", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("Sign-in factors reset: the next sign-in needs a new code.")).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "user dialog after disable, enable and factor reset");
        Assert.Empty(_browserErrors);
    }

    /// <summary>The problem code of a password sign-in of <paramref name="email"/>, or null when it reaches the second step.</summary>
    private async Task<string?> LoginRefusalAsync(string email, string password = OwnPassword)
    {
        using var login = await _stack.Gateway.PostAsJsonAsync("/api/auth/login", new { email, password, client = "control-centre" },
            _timeout.Token);
        var body = (await login.Content.ReadFromJsonAsync<JsonNode>(_timeout.Token))!;
        return login.StatusCode == HttpStatusCode.OK ? null : (string?)body["code"];
    }
}
