using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using FlexWhere.EndToEndTests;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>The user list of an admin: users added and changed in dialogs. Each test changes users of its own, never the seed's.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task An_admin_sets_a_users_number_from_the_list_refused_without_the_country_code_and_saved_masked_with_it()
    {
        var (name, email) = OwnUser("Phone Person", "phone.person");
        var admin = await ApiSessionAsync(Admin, AdminPhone);
        var created = await admin.PostAsync("/api/users", new { email, displayName = name, role = "Employee" });
        var id = created!["id"]!.GetValue<string>();

        await SignInWithCodeAsync(Admin, AdminPhone);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        var row = UserRow(name);
        await Expect(row).ToContainTextAsync("Active, Invited");
        await Expect(row.Locator("td.phone")).ToHaveTextAsync("—");
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "user list");
        await Screenshots.SaveAsync(_page, "08-user-list", fullPage: true);

        await Button(name).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Edit {name}" });
        await Expect(dialog).ToBeVisibleAsync();
        Assert.True(await dialog.EvaluateAsync<bool>("dialog => dialog.matches(':modal')"), "The user's dialog is modal.");
        await Expect(dialog.GetByLabel("Name", new() { Exact = true })).ToBeFocusedAsync();
        await Expect(dialog.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync(name);
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Send the invitation again", Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "user edit dialog");

        // Without +31 the API refuses it, and the page says why at the field itself.
        var phone = dialog.GetByLabel("Mobile phone", new() { Exact = true });
        await Expect(phone).ToHaveAttributeAsync("placeholder", "+31 6 …");
        await phone.FillAsync("06 12345678");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save number", Exact = true }).ClickAsync();
        var refusal = dialog.Locator("#user-phone-error");
        await Expect(refusal).ToHaveTextAsync("Enter the phone number with its country code, e.g. +31 6 12345678 for the Netherlands " +
            "(+31) instead of 06 12345678.");
        await Expect(refusal).ToHaveAttributeAsync("role", "alert");
        await Expect(phone).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(phone).ToBeFocusedAsync();
        Assert.Contains("user-phone-error", await phone.GetAttributeAsync("aria-describedby"));
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "user edit dialog, number refused");
        await Screenshots.SaveAsync(_page, "09-user-phone-refused");

        await phone.FillAsync("+31 6 12345678");
        await _page.Keyboard.PressAsync("Enter");
        await Expect(dialog.GetByRole(AriaRole.Status).Filter(new() { HasText = "Number saved" }))
            .ToHaveTextAsync("Number saved: +31 6 •••• ••78. It is confirmed by the first sign-in code sent to it.");
        await Expect(refusal).ToBeEmptyAsync();
        await Expect(phone).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(dialog).Not.ToContainTextAsync("12345678");
        await Expect(dialog).ToContainTextAsync("Now: +31 6 •••• ••78.");
        await Screenshots.SaveAsync(_page, "10-user-phone-saved");

        // Escape closes the dialog; the list shows the new number masked, and the focus is back on the user's name.
        await _page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(row.Locator("td.phone")).ToHaveTextAsync("+31 6 •••• ••78");
        await Expect(row).ToContainTextAsync("number not yet confirmed");
        await Expect(Button(name)).ToBeFocusedAsync();
        var stored = await admin.GetAsync($"/api/users/{id}");
        Assert.Equal("+31 6 •••• ••78", stored!["phone"]!.GetValue<string>());
        Assert.False(stored["phoneVerified"]!.GetValue<bool>());
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task An_admin_adds_a_user_whose_invitation_reaches_the_mail_inbox_and_sends_it_again()
    {
        var (name, email) = OwnUser("Invited Person", "invited");
        await SignInWithCodeAsync(Admin, AdminPhone);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();

        var add = Button("Add a user");
        await add.ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = "Add a user" });
        await Expect(dialog).ToBeVisibleAsync();
        var address = dialog.GetByLabel("E-mail address", new() { Exact = true });
        await Expect(address).ToBeFocusedAsync();
        await address.FillAsync(email);
        await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await dialog.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("Employee");
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "add user dialog");
        await Screenshots.SaveAsync(_page, "11-user-add");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Add user and send invitation", Exact = true }).ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(_page.GetByRole(AriaRole.Status).Filter(new() { HasText = email }))
            .ToHaveTextAsync($"{email} is added: the invitation is on its way.");
        await Expect(UserRow(name)).ToContainTextAsync("Active, Invited");
        await Expect(Button(name)).ToBeFocusedAsync();

        // A user of the Dutch demo organisation who chose no language yet gets the Dutch invitation.
        var (body, token) = await DevInbox.MailAsync(_stack.Gateway, email, InvitationSubject, _timeout.Token);
        Assert.Contains($"Hallo {name},", body);
        Assert.NotEmpty(token);

        await Button(name).ClickAsync();
        var editor = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Edit {name}" });
        await editor.GetByRole(AriaRole.Button, new() { Name = "Send the invitation again", Exact = true }).ClickAsync();
        await Expect(editor.GetByRole(AriaRole.Status).Filter(new() { HasText = "invitation" }))
            .ToHaveTextAsync("A new invitation is on its way; the earlier link no longer works.");
        while (await MailCountAsync(email, InvitationSubject) < 2) await Task.Delay(200, _timeout.Token);
        var (_, second) = await DevInbox.MailAsync(_stack.Gateway, email, InvitationSubject, _timeout.Token);
        Assert.NotEqual(token, second);
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task A_number_for_another_admin_asks_for_a_fresh_code_over_the_users_dialog_and_then_waits_for_a_second_admin()
    {
        var (name, email) = OwnUser("Second Admin", "second.admin");
        var admin = await ApiSessionAsync(Admin, AdminPhone);
        var id = (await admin.PostAsync("/api/users", new { email, displayName = name, role = "Admin" }))!["id"]!.GetValue<string>();
        var devicesBefore = DeviceIds(await admin.GetAsync("/api/me/devices"));
        try
        {
            // Signed in on a trusted device, without a code: no fresh second factor for a sensitive change.
            await SignInWithCodeAsync(Admin, AdminPhone, rememberDevice: true);
            await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
            await SignOutAndSignInAsync(Admin);
            await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();

            await Button(name).ClickAsync();
            var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = $"Edit {name}" });
            var phone = dialog.GetByLabel("Mobile phone", new() { Exact = true });
            var save = dialog.GetByRole(AriaRole.Button, new() { Name = "Save number", Exact = true });
            await phone.FillAsync("+31 6 12345679");
            await save.ClickAsync();

            // The step-up dialog opens over the user's dialog; Escape closes only the step-up, and the field says why.
            var stepUp = _page.GetByRole(AriaRole.Dialog, new() { Name = "Confirm it is you" });
            var send = stepUp.GetByRole(AriaRole.Button, new() { Name = "Send a code by SMS", Exact = true });
            await Expect(send).ToBeFocusedAsync();
            await _page.Keyboard.PressAsync("Escape");
            await Expect(stepUp).ToHaveCountAsync(0);
            await Expect(dialog).ToBeVisibleAsync();
            await Expect(dialog.Locator("#user-phone-error"))
                .ToHaveTextAsync("This change needs you to confirm it is you with a fresh code. Try it again to get one.");
            await Expect(phone).ToBeFocusedAsync();

            await save.ClickAsync();
            var before = await _inbox.LatestSentAtAsync(AdminPhone, _timeout.Token);
            await send.ClickAsync();
            await stepUp.GetByLabel("Code from the SMS", new() { Exact = true })
                .FillAsync(await _inbox.WaitForCodeAsync(AdminPhone, before, _timeout.Token));
            await _page.Keyboard.PressAsync("Enter");
            await Expect(stepUp).ToHaveCountAsync(0);

            // An admin's number takes four eyes; with no other admin who may approve yet, it applies by itself later.
            await Expect(dialog.GetByRole(AriaRole.Status).Filter(new() { HasText = "second admin" })).ToHaveTextAsync(Scheduled());
            await Screenshots.SaveAsync(_page, "15-admin-phone-waiting");
            Assert.Null((await admin.GetAsync($"/api/users/{id}"))!["phone"]);
            var pending = (await admin.GetAsync("/api/phone-changes"))!.AsArray()
                .Single(change => change!["targetEmail"]!.GetValue<string>() == email);
            Assert.Equal("+31 6 •••• ••79", pending!["phoneHint"]!.GetValue<string>());
            Assert.Empty(_browserErrors);
        }
        finally
        {
            foreach (var device in DeviceIds(await admin.GetAsync("/api/me/devices")).Except(devicesBefore))
            {
                await admin.DeleteAsync($"/api/me/devices/{device}");
            }
        }
    }

    [GeneratedRegex(@"^No second admin can approve the new number \+31 6 •••• ••79 now: it applies by itself on " +
        @"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}, unless an administrator rejects it before then\.$")]
    private static partial Regex Scheduled();

    private const string InvitationSubject = "Je FlexWhere-account staat klaar";

    /// <summary>A name and an address for a user of this test's own, which no other test uses.</summary>
    private static (string Name, string Email) OwnUser(string name, string address)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        return ($"{name} {suffix}", $"{address}.{suffix}@demo.flexwhere.test");
    }

    private ILocator UserRow(string name) =>
        _page.GetByRole(AriaRole.Table, new() { Name = "Users of your organisation" }).Locator("tbody tr").Filter(new() { HasText = name });

    private async Task<int> MailCountAsync(string to, string subject) =>
        (await _stack.Gateway.GetFromJsonAsync<JsonElement>("/dev/mail", _timeout.Token)).EnumerateArray()
            .Count(mail => mail.GetProperty("to").GetString() == to && mail.GetProperty("subject").GetString() == subject);
}
