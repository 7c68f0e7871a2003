using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>An organisation that has linked its own database: names, roles and numbers come from there, so the page
/// shows them read-only and says why, and offers nothing the API would refuse.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task A_linked_organisations_admin_sees_names_roles_and_numbers_read_only_and_why()
    {
        var (email, phone) = await NewOrganisationAdminAsync("linked", "Linked Admin");
        var admin = await ApiSessionAsync(email, phone, OwnPassword);
        await admin.PutAsync("/api/organisation/settings", new { linkedDatabase = true });
        var imported = $"imported-{Guid.NewGuid():N}@kontor.example";
        await admin.PostAsync("/api/users/import", new
        {
            fullSync = false,
            users = new[] { new { email = imported, displayName = "Imported Person", role = "Employee", phone = SwedishMobile() } },
        });

        await SignInWithCodeAsync(email, phone, password: OwnPassword);
        await Expect(Heading("Welcome, Linked Admin")).ToBeVisibleAsync();
        var users = _page.GetByRole(AriaRole.Region, new() { Name = "Users" });
        await Expect(users)
            .ToContainTextAsync("Names, roles and numbers come from your organisation's linked database: change them there.");
        await Expect(Button("Add a user")).ToBeHiddenAsync();

        await Button("Imported Person").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = "Edit Imported Person" });
        await Expect(dialog).ToContainTextAsync("Name, role and number come from your organisation's linked database: change them there.");
        foreach (var field in new[] { "Name", "Role", "Mobile phone" })
        {
            await Expect(dialog.GetByLabel(field, new() { Exact = true })).ToBeDisabledAsync();
        }

        foreach (var button in new[] { "Save name and role", "Save number" })
        {
            await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = button, Exact = true })).ToBeDisabledAsync();
        }

        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Delete this user", Exact = true })).ToHaveCountAsync(0);
        // Access stays with the admin: a linked user can still be disabled or have their factors reset here.
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Disable account", Exact = true })).ToBeEnabledAsync();
        // The focus starts on the first control the admin can use, not on a disabled field.
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Disable account", Exact = true })).ToBeFocusedAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "user edit dialog, linked database");
        Assert.Empty(_browserErrors);
    }
}
