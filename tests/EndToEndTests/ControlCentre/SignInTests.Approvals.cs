using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>Four eyes on an admin's number, in two browsers: one admin asks, another approves. In an organisation of the test's
/// own, so the Demo organisation keeps having no admin who may approve (the other tests count on that).</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task An_admins_new_number_waits_in_the_approvals_until_a_second_admin_approves_it_in_another_browser()
    {
        var (approverEmail, approverPhone) = await NewOrganisationAdminAsync("approvals", "Approving Admin");
        var approver = await ApiSessionAsync(approverEmail, approverPhone, OwnPassword);
        var (askerEmail, askerPhone) = ($"asker.{Guid.NewGuid().ToString("N")[..8]}@kontor.example", SwedishMobile());
        await approver.PostAsync("/api/users", new { email = askerEmail, displayName = "Asking Admin", role = "Admin", phone = askerPhone,
            password = OwnPassword });
        var targetEmail = $"target.{Guid.NewGuid().ToString("N")[..8]}@kontor.example";
        var target = (await approver.PostAsync("/api/users", new { email = targetEmail, displayName = "Target Admin", role = "Admin" }))!;
        // Accounts' rule: only an admin of 7 days approves. No route backdates that; the database does, for the first admin only.
        await MakeAdminSinceAsync((await approver.GetAsync("/api/me"))!["id"]!.GetValue<string>(), TimeSpan.FromDays(8));

        // The admin who asks sees the change waiting, and only a rejection (a withdrawal) is theirs to make.
        await SignInWithCodeAsync(askerEmail, askerPhone, password: OwnPassword);
        await Expect(Heading("Welcome, Asking Admin")).ToBeVisibleAsync();
        await Button("Target Admin").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = "Edit Target Admin" });
        var newNumber = SwedishMobile();
        await dialog.GetByLabel("Mobile phone", new() { Exact = true }).FillAsync(newNumber);
        await _page.Keyboard.PressAsync("Enter");
        await Expect(dialog.GetByRole(AriaRole.Status).Filter(new() { HasText = "second admin" }))
            .ToContainTextAsync("is waiting for a second admin");
        await _page.Keyboard.PressAsync("Escape");
        var approvals = _page.GetByRole(AriaRole.Region, new() { Name = "Approvals" });
        var waiting = approvals.GetByRole(AriaRole.Row).Filter(new() { HasText = targetEmail });
        await Expect(waiting).ToContainTextAsync("Another administrator approves this.");
        await Expect(waiting.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync("you");
        await Expect(waiting.GetByRole(AriaRole.Button, new() { Name = $"Approve the new number of {targetEmail}" })).ToHaveCountAsync(0);
        await Expect(waiting.GetByRole(AriaRole.Button, new() { Name = $"Reject the new number of {targetEmail}" })).ToBeVisibleAsync();

        // The second admin, in a browser of their own, approves it: a sign-in with a code just now is a fresh enough factor.
        await using var other = await _chromium.NewContextAsync(_stack.Gateway.BaseAddress!);
        var second = await other.NewPageAsync();
        second.PageError += (_, error) => _browserErrors.Add(error);
        await SignInWithCodeAsync(approverEmail, approverPhone, password: OwnPassword, page: second);
        var theirApprovals = second.GetByRole(AriaRole.Region, new() { Name = "Approvals" });
        var row = theirApprovals.GetByRole(AriaRole.Row).Filter(new() { HasText = targetEmail });
        await Expect(row.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync(askerEmail);
        var masked = (await row.GetByRole(AriaRole.Cell).Nth(0).TextContentAsync())!;
        Assert.Contains('•', masked);
        Assert.DoesNotContain(newNumber[^6..], masked);
        await Accessibility.AssertNoSeriousViolationsAsync(second, "approvals");
        await theirApprovals.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Directory, "19-approvals.png") });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Approve the new number of {targetEmail}" }).ClickAsync();
        await Expect(theirApprovals.GetByRole(AriaRole.Status))
            .ToHaveTextAsync($"The new number {masked} of {targetEmail} is approved and applies now.");
        await Expect(theirApprovals.GetByText("No number changes are waiting.")).ToBeVisibleAsync();
        await Expect(second.GetByRole(AriaRole.Table, new() { Name = "Users of your organisation" }).Locator("tbody tr")
            .Filter(new() { HasText = targetEmail }).Locator("td.phone")).ToHaveTextAsync(masked);

        // The admin who asked sees it applied.
        await _page.ReloadAsync();
        await Expect(approvals.GetByText("No number changes are waiting.")).ToBeVisibleAsync();
        await Expect(UserRow("Target Admin").Locator("td.phone")).ToHaveTextAsync(masked);
        Assert.Equal(masked, (await approver.GetAsync($"/api/users/{target["id"]!.GetValue<string>()}"))!["phone"]!.GetValue<string>());
        Assert.Empty(_browserErrors);
    }

    private async Task MakeAdminSinceAsync(string userId, TimeSpan ago)
    {
        await using var connection = new NpgsqlConnection(await _stack.App.GetConnectionStringAsync("accountsdb", _timeout.Token));
        await connection.OpenAsync(_timeout.Token);
        await using var update = new NpgsqlCommand("""UPDATE users SET "AdminSince" = now() - @ago WHERE "Id" = @id""", connection)
        {
            Parameters = { new("ago", ago), new("id", Guid.Parse(userId)) },
        };
        Assert.Equal(1, await update.ExecuteNonQueryAsync(_timeout.Token));
    }
}
