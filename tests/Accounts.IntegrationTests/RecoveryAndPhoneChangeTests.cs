using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(MfaCollection.Name)]
public class RecoveryAndPhoneChangeTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private async Task<List<string>> GenerateRecoveryCodesAsync(User user)
    {
        using var client = ClientFor(user);
        var body = await JsonAsync(await client.PostAsync("/api/me/recovery-codes", null));
        return [.. body.GetProperty("codes").EnumerateArray().Select(c => c.GetString()!)];
    }

    private Task<HttpResponseMessage> RecoverAsync(string ticket, string code) =>
        Client.PostAsJsonAsync("/api/auth/mfa/recover", new { loginTicket = ticket, recoveryCode = code });

    [Fact]
    public async Task A_recovery_code_signs_in_once_when_the_phone_is_lost()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var codes = await GenerateRecoveryCodesAsync(manager);
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$", c));

        var (ticket, _, _) = await StartSmsSignInAsync(manager);
        var signedIn = await JsonAsync(await RecoverAsync(ticket, codes[3].ToLowerInvariant().Replace("-", " ")));
        Assert.Equal("signed_in", signedIn.GetProperty("status").GetString());
        Assert.Equal(9, signedIn.GetProperty("recoveryCodesLeft").GetInt32());

        var (again, _, _) = await StartSmsSignInAsync(manager);
        var problem = await ProblemAsync(await RecoverAsync(again, codes[3]), HttpStatusCode.BadRequest, "invalid_recovery_code");
        Assert.Equal(4, problem.GetProperty("attemptsLeft").GetInt32());
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.RecoveryCodeUsed && e.SubjectUserId == manager.Id);
    }

    [Fact]
    public async Task A_browser_can_be_remembered_after_a_recovery_code_as_after_any_factor()
    {
        var manager = await CreateMfaUserAsync(await CreateOrganisationAsync(), UserRole.Manager);
        var codes = await GenerateRecoveryCodesAsync(manager);
        var (ticket, _, _) = await StartSmsSignInAsync(manager);

        var signedIn = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/recover",
            new { loginTicket = ticket, recoveryCode = codes[0], rememberDevice = true, deviceName = "Laptop thuis" }));

        var device = signedIn.GetProperty("deviceToken").GetString();
        var next = await JsonAsync(await ControlCentreLoginAsync(manager, device));
        Assert.Equal("signed_in", next.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Recovery_codes_are_stored_hashed_and_replaced_by_a_new_set()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var first = await GenerateRecoveryCodesAsync(admin);
        var second = await GenerateRecoveryCodesAsync(admin);

        await using var db = NewDbContext();
        var stored = await db.RecoveryCodes.Where(c => c.UserId == admin.Id).ToListAsync();
        Assert.Equal(10, stored.Count);
        var dump = string.Join(",", stored.Select(c => Convert.ToHexString(c.CodeHash) + System.Text.Encoding.ASCII.GetString(c.CodeHash)));
        Assert.All(first.Concat(second), code => Assert.DoesNotContain(code.Replace("-", ""), dump));
        var (ticket, _, _) = await StartSmsSignInAsync(admin);
        await ProblemAsync(await RecoverAsync(ticket, first[0]), HttpStatusCode.BadRequest, "invalid_recovery_code");
    }

    [Fact]
    public async Task Five_wrong_recovery_codes_end_the_sign_in()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var codes = await GenerateRecoveryCodesAsync(admin);
        var (ticket, _, _) = await StartSmsSignInAsync(admin);

        for (var i = 0; i < 4; i++) await ProblemAsync(await RecoverAsync(ticket, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"),
            HttpStatusCode.BadRequest, "invalid_recovery_code");
        await ProblemAsync(await RecoverAsync(ticket, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"), HttpStatusCode.TooManyRequests,
            "too_many_attempts");

        await ProblemAsync(await RecoverAsync(ticket, codes[0]), HttpStatusCode.Gone, "challenge_expired");
    }

    [Fact]
    public async Task A_code_issued_in_the_old_16_character_format_still_signs_in_once()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        const string legacy = "7QK3-M9XZ-2HTB-W8PD";
        await using (var db = NewDbContext())
        {
            // As the earlier version stored it: SHA-256 of the 16 characters without dashes.
            db.RecoveryCodes.Add(new Mfa.RecoveryCode
            {
                Id = Guid.NewGuid(),
                UserId = admin.Id,
                OrganisationId = organisation.Id,
                CodeHash = System.Security.Cryptography.SHA256.HashData("7QK3M9XZ2HTBW8PD"u8),
                CreatedAt = Time.GetUtcNow(),
            });
            await db.SaveChangesAsync();
        }

        var (ticket, _, _) = await StartSmsSignInAsync(admin);
        var signedIn = await JsonAsync(await RecoverAsync(ticket, legacy.ToLowerInvariant()));
        Assert.Equal("signed_in", signedIn.GetProperty("status").GetString());
        Assert.Equal(0, signedIn.GetProperty("recoveryCodesLeft").GetInt32());

        var (again, _, _) = await StartSmsSignInAsync(admin);
        await ProblemAsync(await RecoverAsync(again, legacy), HttpStatusCode.BadRequest, "invalid_recovery_code");
    }

    [Fact]
    public async Task A_new_set_replaces_codes_of_the_old_format_too()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        await using (var db = NewDbContext())
        {
            db.RecoveryCodes.Add(new Mfa.RecoveryCode
            {
                Id = Guid.NewGuid(),
                UserId = admin.Id,
                OrganisationId = organisation.Id,
                CodeHash = System.Security.Cryptography.SHA256.HashData("7QK3M9XZ2HTBW8PD"u8),
                CreatedAt = Time.GetUtcNow(),
            });
            await db.SaveChangesAsync();
        }

        var codes = await GenerateRecoveryCodesAsync(admin);

        var (ticket, _, _) = await StartSmsSignInAsync(admin);
        await ProblemAsync(await RecoverAsync(ticket, "7QK3-M9XZ-2HTB-W8PD"), HttpStatusCode.BadRequest, "invalid_recovery_code");
        var signedIn = await JsonAsync(await RecoverAsync(ticket, codes[9]));
        Assert.Equal(9, signedIn.GetProperty("recoveryCodesLeft").GetInt32());
    }

    [Fact]
    public async Task Employees_get_no_recovery_codes()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateMfaUserAsync(organisation, UserRole.Employee);
        using var client = ClientFor(employee);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/me/recovery-codes", null)).StatusCode);
    }

    [Fact]
    public async Task A_new_own_number_outside_the_allowed_countries_gets_no_code()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var client = ClientFor(manager);
        const string belgian = "+32470123456";

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/api/me/phone", new { phone = belgian }),
            HttpStatusCode.UnprocessableEntity, "country_not_allowed");

        Assert.Equal("BE", problem.GetProperty("country").GetString());
        Assert.Empty(await Sms.SettledAsync(m => m.Destination == belgian));
        await using var db = NewDbContext();
        Assert.False(await db.PhoneVerifications.AnyAsync(v => v.UserId == manager.Id));
    }

    [Fact]
    public async Task A_new_own_number_changes_only_after_the_code_sent_to_it()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var oldNumber = manager.PhoneNumber!;
        var newNumber = NewMobile();
        using var client = ClientFor(manager);

        System.Text.Json.JsonElement started = default;
        var sms = await NextSmsToAsync(newNumber, async () => started = await JsonAsync(await client.PostAsJsonAsync("/api/me/phone",
            new { phone = newNumber })));
        await using (var db = NewDbContext()) Assert.Equal(oldNumber, (await db.Users.SingleAsync(u => u.Id == manager.Id)).PhoneNumber);

        var ticket = started.GetProperty("verificationTicket").GetString();
        await ProblemAsync(await client.PostAsJsonAsync("/api/me/phone/confirm",
            new { verificationTicket = ticket, code = WrongCode(sms.Code) }),
            HttpStatusCode.BadRequest, "invalid_code");
        var confirmed = await JsonAsync(await client.PostAsJsonAsync("/api/me/phone/confirm", new { verificationTicket = ticket,
            code = sms.Code }));

        Assert.Equal("changed", confirmed.GetProperty("status").GetString());
        await using var check = NewDbContext();
        var user = await check.Users.SingleAsync(u => u.Id == manager.Id);
        Assert.Equal(newNumber, user.PhoneNumber);
        Assert.True(user.PhoneVerified);
        var (_, _, login) = await StartSmsSignInAsync(user);
        Assert.Equal(Phones.Mask(newNumber), login.GetProperty("phoneHint").GetString());
    }

    [Fact]
    public async Task Own_number_cannot_be_set_without_a_code()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var client = ClientFor(admin);

        await ProblemAsync(await client.PutAsJsonAsync($"/api/users/{admin.Id}/phone", new { phone = NewMobile() }),
            HttpStatusCode.Conflict, "verify_new_number");
    }

    [Fact]
    public async Task With_one_admin_a_managers_number_changes_at_once()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var client = ClientFor(admin);
        var number = NewMobile();

        var user = await JsonAsync(await client.PutAsJsonAsync($"/api/users/{manager.Id}/phone", new { phone = number }));

        Assert.Equal(Phones.Mask(number), user.GetProperty("phone").GetString());
        Assert.True(user.GetProperty("phoneMasked").GetBoolean());
        Assert.False(user.GetProperty("phoneVerified").GetBoolean());
    }

    [Fact]
    public async Task An_admins_new_number_waits_for_a_second_admin()
    {
        var organisation = await CreateOrganisationAsync();
        var first = await CreateMfaUserAsync(organisation);
        var second = await CreateMfaUserAsync(organisation);
        var third = await CreateMfaUserAsync(organisation);
        var oldNumber = second.PhoneNumber;
        var number = NewMobile();
        using var asFirst = ClientFor(first);
        using var asSecond = ClientFor(second);
        using var asThird = ClientFor(third);

        var pending = await JsonAsync(await asFirst.PutAsJsonAsync($"/api/users/{second.Id}/phone", new { phone = number }),
            HttpStatusCode.Accepted);
        var changeId = pending.GetProperty("id").GetGuid();
        await using (var db = NewDbContext()) Assert.Equal(oldNumber, (await db.Users.SingleAsync(u => u.Id == second.Id)).PhoneNumber);
        await ProblemAsync(await asFirst.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.Conflict,
            "second_admin_required");
        var listed = await JsonAsync(await asSecond.GetAsync("/api/phone-changes"));
        Assert.Equal(changeId, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetGuid());

        // Not the admin whose number it is either: that could be the same person behind both accounts.
        await ProblemAsync(await asSecond.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.Conflict,
            "second_admin_required");
        await JsonAsync(await asThird.PostAsync($"/api/phone-changes/{changeId}/approve", null));

        await using var check = NewDbContext();
        Assert.Equal(number, (await check.Users.SingleAsync(u => u.Id == second.Id)).PhoneNumber);
        // The new number ended the sessions of its owner: trust in the old one is gone.
        Assert.Equal(HttpStatusCode.Unauthorized, (await asSecond.GetAsync("/api/me")).StatusCode);
        await ProblemAsync(await asFirst.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.Conflict,
            "phone_change_closed");
        var audit = await AuditAsync(organisation.Id);
        Assert.Contains(audit, e => e.Event == AuditEvents.PhoneChangeRequested && e.ActorUserId == first.Id);
        Assert.Contains(audit, e => e.Event == AuditEvents.PhoneChangeApproved && e.ActorUserId == third.Id);
    }

    [Fact]
    public async Task An_admin_proving_a_new_own_number_still_needs_a_second_admin()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var other = await CreateMfaUserAsync(organisation);
        var number = NewMobile();
        using var client = ClientFor(admin);

        System.Text.Json.JsonElement started = default;
        var sms = await NextSmsToAsync(number, async () => started = await JsonAsync(await client.PostAsJsonAsync("/api/me/phone",
            new { phone = number })));
        var confirmed = await JsonAsync(await client.PostAsJsonAsync("/api/me/phone/confirm",
            new { verificationTicket = started.GetProperty("verificationTicket").GetString(), code = sms.Code }));
        Assert.Equal("pending_approval", confirmed.GetProperty("status").GetString());
        var changeId = confirmed.GetProperty("pendingChangeId").GetGuid();
        await ProblemAsync(await client.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.Conflict,
            "second_admin_required");

        using var asOther = ClientFor(other);
        await JsonAsync(await asOther.PostAsync($"/api/phone-changes/{changeId}/approve", null));

        await using var db = NewDbContext();
        var user = await db.Users.SingleAsync(u => u.Id == admin.Id);
        Assert.Equal(number, user.PhoneNumber);
        Assert.True(user.PhoneVerified);
    }

    [Fact]
    public async Task A_rejected_change_leaves_the_number()
    {
        var organisation = await CreateOrganisationAsync();
        var first = await CreateMfaUserAsync(organisation);
        var second = await CreateMfaUserAsync(organisation);
        using var asFirst = ClientFor(first);
        using var asSecond = ClientFor(second);
        var pending = await JsonAsync(await asFirst.PutAsJsonAsync($"/api/users/{second.Id}/phone", new { phone = NewMobile() }),
            HttpStatusCode.Accepted);

        var rejected = await JsonAsync(await asSecond.PostAsync($"/api/phone-changes/{pending.GetProperty("id").GetGuid()}/reject", null));

        Assert.Equal("rejected", rejected.GetProperty("state").GetString());
        await using var db = NewDbContext();
        Assert.Equal(second.PhoneNumber, (await db.Users.SingleAsync(u => u.Id == second.Id)).PhoneNumber);
    }
}
