using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Contracts;
using FlexWhere.Testing;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>Invitations and "forgot password": the SendEmail Accounts publishes (through its outbox, over the real
/// broker), the link's single use, the SMS code admins and managers add, and what a reset ends.</summary>
[Collection(MfaCollection.Name)]
public class AccountLinksTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private const string NewPassword = "quiet-harbour-lantern-42";
    private EmailCapture _mail = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _mail = await EmailCapture.StartAsync(Broker.ConnectionString);
    }

    public override async Task DisposeAsync()
    {
        await _mail.DisposeAsync();
        await base.DisposeAsync();
    }

    private Task<HttpResponseMessage> SetPasswordAsync(string token, string password = NewPassword, string? code = null) =>
        Client.PostAsJsonAsync("/api/auth/password/reset", new { token, password, code });

    private static async Task<(HttpResponseMessage Response, TimeSpan Took)> TimedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var response = await send();
        return (response, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    private Task<HttpResponseMessage> ForgotAsync(string email) => Client.PostAsJsonAsync("/api/auth/password/forgot", new { email });

    private async Task<string> InviteAsync(User admin, string email, string role, string? phone = null)
    {
        await JsonAsync(await ClientFor(admin).PostAsJsonAsync("/api/users",
            new { email, displayName = "Nieuwe Collega", role, phone }), HttpStatusCode.Created);
        return await _mail.TokenForAsync(email, EmailTemplates.Invitation);
    }

    [Fact]
    public async Task An_invited_employee_chooses_a_password_with_the_dutch_link_and_signs_in_and_the_link_works_once()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);

        var token = await InviteAsync(admin, "nieuwe.collega@acme.example", "Employee");
        var email = Assert.Single(_mail.Sent, sent => sent.To == "nieuwe.collega@acme.example");
        Assert.Equal("nl", email.Locale); // a Dutch organisation
        Assert.Equal("n•••@acme.example", email.MaskedTo);
        Assert.StartsWith($"{PublicBaseUrl}/#/password?token=", email.Link);
        Assert.Equal("Acme", email.OrganisationName);
        await using (var db = NewDbContext())
        {
            // Only the token's hash is kept.
            var link = await db.AccountLinks.SingleAsync();
            Assert.Equal(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)), link.TokenHash);
            Assert.Equal(AccountLinkPurposes.Invitation, link.Purpose);
            Assert.Equal(72, (link.ExpiresAt - link.CreatedAt).TotalHours);
        }

        await ProblemAsync(await LoginAsync("nieuwe.collega@acme.example", NewPassword), HttpStatusCode.Unauthorized,
            "invalid_credentials");
        var set = await JsonAsync(await SetPasswordAsync(token));
        Assert.Equal("password_set", set.GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync("nieuwe.collega@acme.example", NewPassword)).StatusCode);
        await ProblemAsync(await SetPasswordAsync(token, "another-fine-password-7"), HttpStatusCode.Gone, "link_expired");
        var audit = await AuditAsync(organisation.Id);
        Assert.Contains(audit, entry => entry.Event == AuditEvents.InvitationSent && entry.ActorUserId == admin.Id);
        Assert.Contains(audit, entry => entry.Event == AuditEvents.InvitationAccepted);
    }

    [Fact]
    public async Task The_user_list_marks_an_invitation_pending_until_the_invited_user_has_chosen_a_password()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var client = ClientFor(admin);
        var token = await InviteAsync(admin, "pending.person@acme.example", "Employee");

        async Task<bool> PendingAsync(string email) => (await JsonAsync(await client.GetAsync($"/api/users?search={email}")))
            .GetProperty("items").EnumerateArray().Single(user => user.GetProperty("email").GetString() == email)
            .GetProperty("invitationPending").GetBoolean();

        Assert.True(await PendingAsync("pending.person@acme.example"));
        Assert.False(await PendingAsync(admin.Email));
        var id = (await JsonAsync(await client.GetAsync("/api/users?search=pending.person"))).GetProperty("items")[0].GetProperty("id")
            .GetString();
        Assert.True((await JsonAsync(await client.GetAsync($"/api/users/{id}"))).GetProperty("invitationPending").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await SetPasswordAsync(token)).StatusCode);
        Assert.False(await PendingAsync("pending.person@acme.example"));
        Assert.False((await JsonAsync(await client.GetAsync($"/api/users/{id}"))).GetProperty("invitationPending").GetBoolean());
    }

    [Fact]
    public async Task An_invited_manager_proves_the_number_with_an_sms_code_before_the_password_is_set()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var phone = NewMobile();
        var token = await InviteAsync(admin, "manager.new@acme.example", "Manager", phone);

        JsonElementHolder answer = new();
        var sms = await NextSmsToAsync(phone, async () => answer.Value = await JsonAsync(await SetPasswordAsync(token)));
        Assert.Equal("code_sent", answer.Value.GetProperty("status").GetString());
        Assert.Equal("nl", sms.Locale);
        Assert.DoesNotContain(phone, answer.Value.GetRawText());

        // No password yet: the code comes first, and a wrong one counts.
        await ProblemAsync(await SetPasswordAsync(token, code: WrongCode(sms.Code)), HttpStatusCode.BadRequest, "invalid_code");
        await ProblemAsync(await LoginAsync("manager.new@acme.example", NewPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal("password_set", (await JsonAsync(await SetPasswordAsync(token, code: sms.Code))).GetProperty("status").GetString());
        await using var db = NewDbContext();
        var manager = await db.Users.SingleAsync(u => u.Email == "manager.new@acme.example");
        Assert.True(manager.PhoneVerified);
        Assert.NotNull(manager.PasswordHash);
    }

    [Fact]
    public async Task Wrong_link_codes_count_with_the_users_other_wrong_codes_and_the_lock_holds_for_the_right_one()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        string? before;
        await using (var db = NewDbContext())
        {
            // Nine wrong codes at sign-ins already: one more locks the factor, wherever it is typed.
            await db.Users.Where(u => u.Id == manager.Id).ExecuteUpdateAsync(set => set.SetProperty(u => u.SecondFactorFailures, 9));
            before = (await db.Users.SingleAsync(u => u.Id == manager.Id)).PasswordHash;
        }

        await ForgotAsync(manager.Email);
        var token = await _mail.TokenForAsync(manager.Email, EmailTemplates.PasswordReset);
        var sms = await NextSmsToAsync(manager.PhoneNumber!, async () => await JsonAsync(await SetPasswordAsync(token)));

        await ProblemAsync(await SetPasswordAsync(token, code: WrongCode(sms.Code)), HttpStatusCode.TooManyRequests,
            "second_factor_locked");
        await ProblemAsync(await SetPasswordAsync(token, code: sms.Code), HttpStatusCode.TooManyRequests, "second_factor_locked");
        await using (var db = NewDbContext()) Assert.Equal(before, (await db.Users.SingleAsync(u => u.Id == manager.Id)).PasswordHash);
    }

    [Fact]
    public async Task A_code_of_a_sign_in_does_not_work_on_a_password_link()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var (_, signInCode, _) = await StartSmsSignInAsync(manager);
        await ForgotAsync(manager.Email);
        var token = await _mail.TokenForAsync(manager.Email, EmailTemplates.PasswordReset);
        ChallengesTime.Advance(TimeSpan.FromMinutes(2)); // past the wait between two codes to one number
        var linkSms = await NextSmsToAsync(manager.PhoneNumber!, async () => await JsonAsync(await SetPasswordAsync(token)));

        if (signInCode != linkSms.Code)
        {
            await ProblemAsync(await SetPasswordAsync(token, code: signInCode), HttpStatusCode.BadRequest, "invalid_code");
        }

        Assert.Equal("password_set", (await JsonAsync(await SetPasswordAsync(token, code: linkSms.Code))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_manager_whose_number_is_outside_the_allowed_countries_gets_no_code_and_no_password()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateUserAsync(organisation, UserRole.Manager, phone: "+46701234599");
        await ForgotAsync(manager.Email);
        var token = await _mail.TokenForAsync(manager.Email, EmailTemplates.PasswordReset);

        var refused = await ProblemAsync(await SetPasswordAsync(token), HttpStatusCode.Forbidden, "phone_number_missing");

        Assert.Equal("country_not_allowed", refused.GetProperty("reason").GetString());
        Assert.Empty(await Sms.SettledAsync(sms => sms.Destination == "+46701234599"));
    }

    [Fact]
    public async Task Forgot_password_answers_alike_for_every_address_and_mails_only_a_known_one()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        var disabled = await CreateUserAsync(organisation, UserRole.Employee, active: false);

        var (known, knownTook) = await TimedAsync(() => ForgotAsync(employee.Email.ToUpperInvariant()));
        var (unknown, unknownTook) = await TimedAsync(() => ForgotAsync("nobody@acme.example"));
        var (inactive, inactiveTook) = await TimedAsync(() => ForgotAsync(disabled.Email));

        // Every answer waits out the same floor (300 ms), so the known address's extra work cannot be timed.
        Assert.All(new[] { knownTook, unknownTook, inactiveTook }, took => Assert.InRange(took.TotalMilliseconds, 295, 10_000));

        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, inactive.StatusCode);
        Assert.Equal(await known.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
        Assert.Equal(await known.Content.ReadAsStringAsync(), await inactive.Content.ReadAsStringAsync());
        var sent = await _mail.SettledAsync(_ => true);
        var reset = Assert.Single(sent);
        Assert.Equal(employee.Email, reset.To);
        Assert.Equal(EmailTemplates.PasswordReset, reset.TemplateId);
        await ProblemAsync(await ForgotAsync("not an address"), HttpStatusCode.BadRequest, "email_invalid");
    }

    [Fact]
    public async Task At_most_three_password_links_an_hour_go_to_one_address()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        for (var request = 0; request < 6; request++) Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(employee.Email)).StatusCode);

        Assert.Equal(3, (await _mail.SettledAsync(sent => sent.To == employee.Email)).Count);
        Time.Advance(TimeSpan.FromMinutes(61));
        await ForgotAsync(employee.Email);
        Assert.Equal(4, (await _mail.SettledAsync(sent => sent.To == employee.Email)).Count);
    }

    [Fact]
    public async Task A_reset_ends_every_session_and_trusted_device_and_the_old_password_stops_working()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var signedIn = await SignInWithSmsAsync(manager, rememberDevice: true);
        using var session = BearerClient(signedIn);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/me")).StatusCode);

        await ForgotAsync(manager.Email);
        var token = await _mail.TokenForAsync(manager.Email, EmailTemplates.PasswordReset);
        var sms = await NextSmsToAsync(manager.PhoneNumber!, async () => await JsonAsync(await SetPasswordAsync(token)));
        await JsonAsync(await SetPasswordAsync(token, code: sms.Code));

        await ProblemAsync(await session.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "session_revoked");
        await ProblemAsync(await ControlCentreLoginAsync(manager), HttpStatusCode.Unauthorized, "invalid_credentials");
        // The trusted device is gone too: the new password still needs a code.
        var again = await JsonAsync(await ControlCentreLoginAsync(manager, signedIn.GetProperty("deviceToken").GetString(), NewPassword));
        Assert.Equal("mfa_required", again.GetProperty("status").GetString());
        Assert.Contains(await AuditAsync(organisation.Id), entry => entry.Event == AuditEvents.PasswordReset);
    }

    [Fact]
    public async Task A_link_sets_one_password_however_many_requests_race_for_it()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await ForgotAsync(employee.Email);
        var token = await _mail.TokenForAsync(employee.Email, EmailTemplates.PasswordReset);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => SetPasswordAsync(token, $"{NewPassword}-{i}")));

        Assert.Single(answers, answer => answer.StatusCode == HttpStatusCode.OK);
        Assert.All(answers.Where(answer => answer.StatusCode != HttpStatusCode.OK),
            answer => Assert.Equal(HttpStatusCode.Gone, answer.StatusCode));
    }

    [Fact]
    public async Task A_link_expires_after_an_hour_and_a_newer_one_voids_it()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await ForgotAsync(employee.Email);
        var first = await _mail.TokenForAsync(employee.Email, EmailTemplates.PasswordReset);

        Time.Advance(TimeSpan.FromMinutes(61));
        await ProblemAsync(await SetPasswordAsync(first), HttpStatusCode.Gone, "link_expired");

        await ForgotAsync(employee.Email);
        await _mail.WaitForAsync(_ => _mail.Sent.Count(sent => sent.To == employee.Email) == 2);
        var second = _mail.Sent.Last(sent => sent.To == employee.Email).Link.Split("token=")[1];
        await ForgotAsync(employee.Email);
        await _mail.WaitForAsync(_ => _mail.Sent.Count(sent => sent.To == employee.Email) == 3);
        await ProblemAsync(await SetPasswordAsync(second), HttpStatusCode.Gone, "link_expired");
        await ProblemAsync(await SetPasswordAsync("not-a-token-anyone-was-sent"), HttpStatusCode.Gone, "link_expired");
    }

    [Fact]
    public async Task A_weak_password_is_refused_and_the_link_still_works_for_a_better_one()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await ForgotAsync(employee.Email);
        var token = await _mail.TokenForAsync(employee.Email, EmailTemplates.PasswordReset);

        await ProblemAsync(await SetPasswordAsync(token, "iloveyou1234"), HttpStatusCode.BadRequest, "password_too_common");
        await ProblemAsync(await SetPasswordAsync(token, "short"), HttpStatusCode.BadRequest, "password_too_short");

        Assert.Equal(HttpStatusCode.OK, (await SetPasswordAsync(token)).StatusCode);
    }

    [Fact]
    public async Task An_admin_invites_again_only_users_of_the_own_organisation_who_have_no_password()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var other = await CreateOrganisationAsync("Other");
        var stranger = await CreateUserAsync(other, UserRole.Employee);
        var withPassword = await CreateUserAsync(organisation, UserRole.Employee);
        var first = await InviteAsync(admin, "late.starter@acme.example", "Employee");
        await using (var db = NewDbContext())
        {
            var invited = await db.Users.SingleAsync(u => u.Email == "late.starter@acme.example");
            using var again = await ClientFor(admin).PostAsync($"/api/users/{invited.Id}/invitation", null);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        await _mail.WaitForAsync(_ => _mail.Sent.Count(sent => sent.To == "late.starter@acme.example") == 2);
        await ProblemAsync(await SetPasswordAsync(first), HttpStatusCode.Gone, "link_expired");
        await ProblemAsync(await ClientFor(admin).PostAsync($"/api/users/{stranger.Id}/invitation", null), HttpStatusCode.NotFound,
            "not_found");
        await ProblemAsync(await ClientFor(admin).PostAsync($"/api/users/{withPassword.Id}/invitation", null), HttpStatusCode.Conflict,
            "already_signed_up");
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await ProblemAsync(await ClientFor(employee).PostAsync($"/api/users/{withPassword.Id}/invitation", null), HttpStatusCode.Forbidden,
            "forbidden");
    }

    [Fact]
    public async Task Texts_are_dutch_in_a_dutch_organisation_until_the_user_chooses_english_for_sign_in_codes_too()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var client = ClientFor(manager);
        Assert.Equal("nl", (await JsonAsync(await client.GetAsync("/api/me"))).GetProperty("locale").GetString());
        var dutch = await NextSmsToAsync(manager.PhoneNumber!, () => ControlCentreLoginAsync(manager));
        Assert.Equal("nl", dutch.Locale);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsJsonAsync("/api/me/locale", new { locale = "en" })).StatusCode);
        await ProblemAsync(await client.PutAsJsonAsync("/api/me/locale", new { locale = "de" }), HttpStatusCode.BadRequest,
            "validation_failed");

        Assert.Equal("en", (await JsonAsync(await client.GetAsync("/api/me"))).GetProperty("locale").GetString());
        ChallengesTime.Advance(TimeSpan.FromMinutes(2)); // past the wait between two codes to one number
        var english = await NextSmsToAsync(manager.PhoneNumber!, () => ControlCentreLoginAsync(manager));
        Assert.Equal("en", english.Locale);
        Assert.Contains(await AuditAsync(organisation.Id), entry => entry.Event == AuditEvents.LocaleChanged);
    }

    [Fact]
    public async Task Security_notices_reach_the_user_in_their_language_and_name_no_code_token_or_full_number()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var oldPhone = manager.PhoneNumber!;
        var secrets = new List<string> { oldPhone };

        // A remembered browser: a new device.
        var (ticket, code, _) = await StartSmsSignInAsync(manager);
        secrets.Add(code);
        await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/verify",
            new { loginTicket = ticket, code, rememberDevice = true, deviceName = "Firefox op kantoor" }));
        // New recovery codes, then one of them used to sign in.
        var recovery = await JsonAsync(await ClientFor(manager).PostAsync("/api/me/recovery-codes", null));
        var codes = recovery.GetProperty("codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        secrets.AddRange(codes);
        ChallengesTime.Advance(TimeSpan.FromMinutes(2));
        var (recoverTicket, second, _) = await StartSmsSignInAsync(manager);
        secrets.Add(second);
        await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/recover",
            new { loginTicket = recoverTicket, recoveryCode = codes[0] }));
        // A new number set by an admin, then an MFA reset.
        var newPhone = NewMobile();
        secrets.Add(newPhone);
        await JsonAsync(await ClientFor(admin).PutAsJsonAsync($"/api/users/{manager.Id}/phone", new { phone = newPhone }));
        Assert.Equal(HttpStatusCode.NoContent, (await ClientFor(admin).PostAsync($"/api/users/{manager.Id}/mfa/reset", null)).StatusCode);
        // Ten wrong passwords: locked.
        for (var guess = 0; guess < 10; guess++) await LoginAsync(manager.Email, $"wrong password {guess}");

        string[] expected = [EmailTemplates.NewDevice, EmailTemplates.FactorAdded, EmailTemplates.RecoveryCodeUsed,
            EmailTemplates.PhoneChanged, EmailTemplates.MfaReset, EmailTemplates.AccountLocked];
        foreach (var template in expected) await _mail.WaitForAsync(sent => sent.To == manager.Email && sent.TemplateId == template);
        var notices = _mail.Sent.Where(sent => sent.To == manager.Email && EmailTemplates.Notices.Contains(sent.TemplateId)).ToList();
        Assert.All(notices, notice => Assert.Equal("nl", notice.Locale));
        Assert.Contains(notices, n => n.TemplateId == EmailTemplates.NewDevice && n.Details!.StartsWith("Firefox op kantoor,"));
        Assert.Contains(notices, n => n.TemplateId == EmailTemplates.PhoneChanged
            && n.Details == $"{Phones.Mask(oldPhone)} → {Phones.Mask(newPhone)}");
        Assert.Contains(notices, n => n.TemplateId == EmailTemplates.FactorAdded && n.Details!.StartsWith("10 nieuwe herstelcodes, "));
        // The old number hears of the change too, in the user's language, without the new number.
        var text = await Sms.WaitForAsync(sent => sent.Destination == oldPhone && sent.TemplateId == SmsTemplates.PhoneChanged);
        Assert.Equal("nl", text.Locale);
        var textBody = SmsTemplates.Render(text.TemplateId, text.Locale, text.Code, 1);
        Assert.StartsWith("FlexWhere: het telefoonnummer waarmee je inlogt is op ", textBody);
        Assert.DoesNotContain(newPhone[3..], textBody);
        Assert.DoesNotMatch(@"(?<!\d)\d{6}(?!\d)", textBody);
        foreach (var notice in notices)
        {
            var (subject, body) = EmailTemplates.Render(notice);
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, subject + body));
            Assert.DoesNotContain(Regex.Match(body, @"(?<!\d)\d{6}(?!\d)").Value is { Length: 6 } six ? six : "no six digits", secrets);
            Assert.Contains(PublicBaseUrl, body);
        }
    }

    private sealed class JsonElementHolder
    {
        public System.Text.Json.JsonElement Value { get; set; }
    }
}
