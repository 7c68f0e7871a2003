using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Mfa;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>The controls of the "Authentication assurance" review that need a clock or a database
/// state the end-to-end stack cannot set: step-up freshness, session lifetimes, the per-user code
/// limit, the authenticator enrollment proof and every path to an admin's number.</summary>
[Collection(MfaCollection.Name)]
public class AssuranceTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    [Fact]
    public async Task A_step_up_is_needed_again_after_five_minutes_and_a_step_up_ticket_of_another_session_proves_nothing()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var signedIn = await SignInWithSmsAsync(admin);
        using var client = BearerClient(signedIn);
        NextMinute();
        using var other = BearerClient(await SignInWithSmsAsync(admin));

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/me/recovery-codes", null)).StatusCode);
        Time.Advance(TimeSpan.FromMinutes(6));
        var refused = await client.PostAsync("/api/me/recovery-codes", null);
        var problem = await ProblemAsync(refused, HttpStatusCode.Unauthorized, "step_up_required");
        Assert.Contains("insufficient_user_authentication", refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal(["sms", "recovery_code"], problem.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));

        JsonElement sent = default;
        NextMinute();
        var sms = await NextSmsToAsync(admin.PhoneNumber!, async () => sent = await JsonAsync(await other.PostAsync("/api/auth/step-up/sms",
            null)));
        var foreignTicket = sent.GetProperty("stepUpTicket").GetString();
        await ProblemAsync(await client.PostAsJsonAsync("/api/auth/step-up",
            new { method = "sms", stepUpTicket = foreignTicket, code = sms.Code }),
            HttpStatusCode.Gone, "challenge_expired");
        // Nor does a step-up ticket sign anyone in.
        await ProblemAsync(await VerifyAsync(foreignTicket!, sms.Code), HttpStatusCode.Gone, "challenge_expired");

        NextMinute();
        sms = await NextSmsToAsync(admin.PhoneNumber!, async () =>
            sent = await JsonAsync(await client.PostAsync("/api/auth/step-up/sms", null)));
        await JsonAsync(await client.PostAsJsonAsync("/api/auth/step-up",
            new { method = "sms", stepUpTicket = sent.GetProperty("stepUpTicket").GetString(), code = sms.Code }));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/me/recovery-codes", null)).StatusCode);
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.StepUpSucceeded && e.SubjectUserId == admin.Id);
    }

    [Fact]
    public async Task Only_an_admin_of_the_same_organisation_unlocks_or_issues_an_enrollment_code_and_the_code_works_once()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.MobileTotpRequired = true);
        var employee = await CreateUserAsync(organisation, UserRole.Employee, phone: null);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var admin = await CreateMfaUserAsync(organisation);
        var stranger = await CreateMfaUserAsync(await CreateOrganisationAsync("Other"));

        foreach (var path in new[] { $"/api/users/{employee.Id}/unlock", $"/api/users/{employee.Id}/totp-enrollment-code" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await ClientFor(manager).PostAsync(path, null)).StatusCode);
            await ProblemAsync(await ClientFor(stranger).PostAsync(path, null), HttpStatusCode.NotFound, "not_found");
        }

        await ProblemAsync(await ClientFor(admin).PostAsync($"/api/users/{admin.Id}/totp-enrollment-code", null), HttpStatusCode.Conflict,
            "own_account");
        var code = (await JsonAsync(await ClientFor(admin).PostAsync($"/api/users/{employee.Id}/totp-enrollment-code", null)))
            .GetProperty("code").GetString();

        var first = (await JsonAsync(await LoginAsync(employee.Email))).GetProperty("loginTicket").GetString();
        await JsonAsync(await Client.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = first, code }));
        // Used once: the same code on a new sign-in proves nothing.
        var second = (await JsonAsync(await LoginAsync(employee.Email))).GetProperty("loginTicket").GetString();
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = second, code }),
            HttpStatusCode.BadRequest, "invalid_code");
    }

    [Fact]
    public async Task Every_answer_of_accounts_is_marked_no_store_tokens_and_refusals_alike()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        using var signedIn = await LoginAsync(employee.Email);
        using var refused = await LoginAsync(employee.Email, "wrong password!");

        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.True(signedIn.Headers.CacheControl?.NoStore, "the signed-in answer");
        Assert.True(refused.Headers.CacheControl?.NoStore, "the refusal");
    }

    [Fact]
    public async Task Counters_of_wrong_passwords_are_dropped_once_their_window_is_over_but_not_while_they_lock()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        await LoginAsync($"nobody-{Guid.NewGuid():N}@example.test", "wrong password!");
        Time.Advance(TimeSpan.FromMinutes(10));
        for (var attempt = 0; attempt < 10; attempt++) await LoginAsync(employee.Email, "wrong password!");
        var options = new PasswordSignInOptions();
        await using var db = NewDbContext();
        Assert.Equal(2, await db.SignInThrottles.CountAsync());

        // The service's own housekeeping runs on the same clock, so it may prune first: the state counts.
        Time.Advance(TimeSpan.FromMinutes(4));
        await SignInThrottles.PruneAsync(db, Time.GetUtcNow(), options, CancellationToken.None);
        Assert.Equal(2, await db.SignInThrottles.CountAsync());
        Time.Advance(TimeSpan.FromMinutes(2));
        // The unknown address's window is over; the employee's lock (from the tenth guess, 15 minutes) still holds.
        await SignInThrottles.PruneAsync(db, Time.GetUtcNow(), options, CancellationToken.None);
        Assert.Equal(1, await db.SignInThrottles.CountAsync());
        await ProblemAsync(await LoginAsync(employee.Email), HttpStatusCode.TooManyRequests, "account_locked");
    }

    [Fact]
    public async Task A_password_change_needs_the_current_password_under_the_sign_in_count_and_twelve_characters()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var client = ClientFor(manager);

        await ProblemAsync(await client.PutAsJsonAsync("/api/me/password", new { currentPassword = Password, newPassword = "too-short" }),
            HttpStatusCode.BadRequest,
            "password_too_short");
        for (var guess = 0; guess < 9; guess++)
        {
            await ProblemAsync(await client.PutAsJsonAsync("/api/me/password",
                new { currentPassword = $"guess {guess}", newPassword = "a-brand-new-password-2026" }),
                HttpStatusCode.BadRequest, "invalid_password");
        }

        await ProblemAsync(await client.PutAsJsonAsync("/api/me/password",
            new { currentPassword = "guess 9", newPassword = "a-brand-new-password-2026" }),
            HttpStatusCode.BadRequest, "invalid_password");
        await ProblemAsync(await client.PutAsJsonAsync("/api/me/password",
            new { currentPassword = Password, newPassword = "a-brand-new-password-2026" }),
            HttpStatusCode.TooManyRequests, "account_locked");
        var admin = await CreateMfaUserAsync(organisation);
        Assert.Equal(HttpStatusCode.NoContent, (await ClientFor(admin).PostAsync($"/api/users/{manager.Id}/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PutAsJsonAsync("/api/me/password", new { currentPassword = Password, newPassword = "a-brand-new-password-2026" }))
            .StatusCode);
    }

    [Fact]
    public async Task A_common_new_password_is_refused_before_the_current_one_is_judged_and_the_old_one_keeps_working()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var client = ClientFor(manager);
        string? HashNow() { using var db = NewDbContext(); return db.Users.Single(u => u.Id == manager.Id).PasswordHash; }
        var before = HashNow();

        // Eleven times, more than the sign-in count allows: a refused new password is no guess at the current one.
        for (var attempt = 0; attempt < 11; attempt++)
        {
            await ProblemAsync(await client.PutAsJsonAsync("/api/me/password",
                new { currentPassword = $"guess {attempt}", newPassword = "Password1234" }), HttpStatusCode.BadRequest, "password_too_common");
        }

        await using (var db = NewDbContext()) Assert.Equal(0, await db.SignInThrottles.CountAsync());
        await ProblemAsync(await client.PutAsJsonAsync("/api/me/password",
            new { currentPassword = Password, newPassword = "qwertyqwerty" }), HttpStatusCode.BadRequest, "password_too_common");
        Assert.Equal(before, HashNow());
    }

    [Fact]
    public async Task A_control_centre_session_ends_after_thirty_idle_minutes_and_after_twelve_hours_however_busy()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var refreshToken = (await SignInWithSmsAsync(manager)).GetProperty("refreshToken").GetString();

        // Busy: a refresh every 15 minutes keeps it alive, but not past 12 hours.
        for (var refreshes = 1; refreshes <= 48; refreshes++)
        {
            Time.Advance(TimeSpan.FromMinutes(15));
            var refreshed = await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken });
            if (refreshes == 48)
            {
                await ProblemAsync(refreshed, HttpStatusCode.Unauthorized, "invalid_token");
                break;
            }

            refreshToken = (await JsonAsync(refreshed)).GetProperty("refreshToken").GetString();
        }

        // Idle: 31 minutes without a request end it.
        NextMinute();
        var idle = await SignInWithSmsAsync(manager);
        Time.Advance(TimeSpan.FromMinutes(29));
        var stillAlive = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = idle.GetProperty("refreshToken").GetString() }));
        Time.Advance(TimeSpan.FromMinutes(31));
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = stillAlive.GetProperty("refreshToken").GetString() }),
            HttpStatusCode.Unauthorized, "invalid_token");
    }

    /// <summary>Challenges sends one code a minute to a number: its clock moves on for the next one.</summary>
    private void NextMinute() => ChallengesTime.Advance(TimeSpan.FromSeconds(61));

    [Fact]
    public async Task Promoting_an_employee_ends_the_password_only_mobile_session_instead_of_making_it_an_admin_session()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var employee = await CreateMfaUserAsync(organisation, UserRole.Employee);
        var mobile = await JsonAsync(await LoginAsync(employee.Email));
        using var asEmployee = BearerClient(mobile);
        await ProblemAsync(await asEmployee.GetAsync("/api/users"), HttpStatusCode.Forbidden, "forbidden");

        await JsonAsync(await ClientFor(admin).PutAsJsonAsync($"/api/users/{employee.Id}", new { role = "Admin" }));

        Assert.Equal(HttpStatusCode.Unauthorized, (await asEmployee.GetAsync("/api/users")).StatusCode);
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = mobile.GetProperty("refreshToken").GetString() }),
            HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal("mfa_required", (await JsonAsync(await LoginAsync(employee.Email))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ten_wrong_sms_codes_over_new_sign_ins_lock_the_factor_and_parallel_guesses_have_at_most_ten_judged()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var (first, code, _) = await StartSmsSignInAsync(manager);
        NextMinute();
        var (second, _, _) = await StartSmsSignInAsync(manager);
        NextMinute();
        var (third, _, _) = await StartSmsSignInAsync(manager);

        // Fifteen parallel guesses over three tickets (five each is what Challenges allows per code).
        var answers = await Task.WhenAll(new[] { first, second, third }.SelectMany(ticket => Enumerable.Range(0, 5)
            .Select(async _ => (await VerifyAsync(ticket, WrongCode(code))).StatusCode)));
        Assert.Contains(HttpStatusCode.TooManyRequests, answers);

        var failed = (await AuditAsync(organisation.Id)).Count(e => e.Event == AuditEvents.MfaCodeFailed && e.SubjectUserId == manager.Id);
        Assert.True(failed <= 10, $"{failed} wrong codes were judged");
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.SecondFactorLocked && e.SubjectUserId == manager.Id);

        // Locked: even the right code of a new sign-in is refused, until an admin unlocks (or 15 minutes pass).
        NextMinute();
        var (fourth, right, _) = await StartSmsSignInAsync(manager);
        await ProblemAsync(await VerifyAsync(fourth, right), HttpStatusCode.TooManyRequests, "second_factor_locked");
        var admin = await CreateMfaUserAsync(organisation);
        var shown = await JsonAsync(await ClientFor(admin).GetAsync($"/api/users/{manager.Id}"));
        Assert.True(shown.GetProperty("secondFactorLockedUntil").GetDateTimeOffset() > Time.GetUtcNow());
        Assert.Equal(HttpStatusCode.NoContent, (await ClientFor(admin).PostAsync($"/api/users/{manager.Id}/unlock", null)).StatusCode);
        await JsonAsync(await VerifyAsync(fourth, right));
    }

    [Fact]
    public async Task Linking_an_authenticator_needs_the_code_texted_to_the_users_number_not_just_the_password()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.MobileTotpRequired = true);
        var employee = await CreateMfaUserAsync(organisation, UserRole.Employee);
        JsonElement login = default;
        var sms = await NextSmsToAsync(employee.PhoneNumber!, async () => login = await JsonAsync(await LoginAsync(employee.Email)));
        Assert.Equal("totp_enrollment", login.GetProperty("method").GetString());
        Assert.Equal("sms", login.GetProperty("enrollmentProof").GetString());
        var ticket = login.GetProperty("loginTicket").GetString();

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = ticket }), HttpStatusCode.Forbidden,
            "enrollment_proof_required");
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = ticket, code = WrongCode(sms.Code) }),
            HttpStatusCode.BadRequest, "invalid_code");
        await using (var db = NewDbContext()) Assert.False(await db.TotpFactors.AnyAsync(f => f.UserId == employee.Id));

        var enrollment = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/totp/enroll", new { loginTicket = ticket,
            code = sms.Code }));
        Assert.False(string.IsNullOrEmpty(enrollment.GetProperty("secret").GetString()));
    }

    [Fact]
    public async Task An_import_cannot_change_an_admins_number_at_once()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.LinkedDatabase = true);
        var importer = await CreateMfaUserAsync(organisation);
        var other = await CreateMfaUserAsync(organisation);
        var number = NewMobile();

        var result = await JsonAsync(await ClientFor(importer).PostAsJsonAsync("/api/users/import",
            new { fullSync = false, users = new[] { new { email = importer.Email, displayName = importer.DisplayName, role = "Admin",
                phone = number } } }));

        Assert.Equal(1, result.GetProperty("pendingApproval").GetInt32());
        await using var db = NewDbContext();
        Assert.NotEqual(number, (await db.Users.SingleAsync(u => u.Id == importer.Id)).PhoneNumber);
        Assert.Single(await db.PendingPhoneChanges.Where(c => c.TargetUserId == importer.Id && c.State == PhoneChangeStates.Pending)
            .ToListAsync());
        _ = other;
    }

    [Fact]
    public async Task Demoting_or_disabling_an_admin_first_does_not_skip_the_second_admin()
    {
        var organisation = await CreateOrganisationAsync();
        var attacker = await CreateMfaUserAsync(organisation);
        var victim = await CreateMfaUserAsync(organisation);
        var third = await CreateMfaUserAsync(organisation);
        using var asAttacker = ClientFor(attacker);

        await JsonAsync(await asAttacker.PutAsJsonAsync($"/api/users/{victim.Id}", new { role = "Manager" }));
        await JsonAsync(await asAttacker.PutAsJsonAsync($"/api/users/{victim.Id}/phone", new { phone = NewMobile() }),
            HttpStatusCode.Accepted);
        await JsonAsync(await asAttacker.PostAsync($"/api/users/{third.Id}/disable", null));
        await JsonAsync(await asAttacker.PutAsJsonAsync($"/api/users/{third.Id}/phone", new { phone = NewMobile() }),
            HttpStatusCode.Accepted);

        await using var db = NewDbContext();
        Assert.Equal(victim.PhoneNumber, (await db.Users.SingleAsync(u => u.Id == victim.Id)).PhoneNumber);
        Assert.Equal(third.PhoneNumber, (await db.Users.SingleAsync(u => u.Id == third.Id)).PhoneNumber);
    }

    [Fact]
    public async Task A_second_admin_account_made_today_cannot_approve_and_a_single_admins_change_waits_a_day_with_a_notice()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var asAdmin = ClientFor(admin);
        var created = await JsonAsync(await asAdmin.PostAsJsonAsync("/api/users",
            new { email = $"sidekick-{Guid.NewGuid():N}@example.test", displayName = "Sidekick", role = "Admin", phone = NewMobile(),
                password = Password }), HttpStatusCode.Created);
        var sidekick = await NewDbContext().Users.SingleAsync(u => u.Id == created.GetProperty("id").GetGuid());
        using var asSidekick = ClientFor(sidekick);
        var number = NewMobile();

        var sms = await NextSmsToAsync(admin.PhoneNumber!, async () =>
        {
            var pending = await JsonAsync(await asSidekick.PutAsJsonAsync($"/api/users/{admin.Id}/phone", new { phone = number }),
                HttpStatusCode.Accepted);
            Assert.True(pending.GetProperty("applyAfter").GetDateTimeOffset() >= Time.GetUtcNow().AddHours(24));
        });
        Assert.DoesNotMatch(@"^\d{6}$", sms.Code);

        var changeId = (await NewDbContext().PendingPhoneChanges.SingleAsync(c => c.TargetUserId == admin.Id)).Id;
        await ProblemAsync(await asSidekick.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.Conflict,
            "second_admin_required");
        // The admin whose number it is cannot approve it either.
        await ProblemAsync(await asAdmin.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.Conflict,
            "second_admin_required");

        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Data.AccountsDbContext>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditLog>();
        var notices = scope.ServiceProvider.GetRequiredService<Lifecycle.SecurityNotices>();
        Assert.Equal(0, await PhoneChanges.ApplyDueAsync(db, audit, notices, Time, CancellationToken.None));
        Time.Advance(TimeSpan.FromHours(24));
        // The service's own timer (on the same clock) may apply it first; either way it is applied once.
        await PhoneChanges.ApplyDueAsync(db, audit, notices, Time, CancellationToken.None);
        for (var wait = 0; wait < 50 && (await NewDbContext().Users.SingleAsync(u => u.Id == admin.Id))
            .PhoneNumber != number; wait++) await Task.Delay(100);
        Assert.Equal(number, (await NewDbContext().Users.SingleAsync(u => u.Id == admin.Id)).PhoneNumber);
        Assert.Single(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.PhoneChanged && e.SubjectUserId == admin.Id);
    }
}
