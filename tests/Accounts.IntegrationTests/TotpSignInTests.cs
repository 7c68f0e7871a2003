using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using OtpNet;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(MobilePostgresCollection.Name)]
public class TotpSignInTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    [Fact]
    public async Task Enrollment_gives_a_secret_uri_and_qr_code_and_the_first_valid_code_confirms_it_and_signs_in()
    {
        var (organisation, employee) = await TotpOrganisationAsync();
        await using var mail = await EmailCapture.StartAsync(Broker.ConnectionString);

        var login = await JsonAsync(await LoginAsync(employee.Email));
        Assert.Equal("mfa_required", login.GetProperty("status").GetString());
        Assert.Equal("totp_enrollment", login.GetProperty("method").GetString());
        Assert.True(login.GetProperty("expiresAt").GetDateTimeOffset() > Time.GetUtcNow());
        var ticket = login.GetProperty("loginTicket").GetString()!;

        var enrollment = await JsonAsync(await EnrollAsync(ticket));
        var base32 = enrollment.GetProperty("secret").GetString()!;
        Assert.Equal(20, Base32Encoding.ToBytes(base32).Length);
        Assert.Equal($"otpauth://totp/FlexWhere:{employee.Email}?secret={base32}&issuer=FlexWhere&algorithm=SHA1&digits=6&period=30",
            enrollment.GetProperty("otpauthUri").GetString());
        Assert.Contains("<svg", enrollment.GetProperty("qrCodeSvg").GetString());

        var signedIn = await JsonAsync(await VerifyAsync(ticket, CodeNow(base32)));
        Assert.Equal("signed_in", signedIn.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(signedIn.GetProperty("accessToken").GetString()));
        Assert.False(signedIn.TryGetProperty("pinRequired", out _));

        // Enrolled now: the next sign-in asks for a code, not for a new enrollment.
        Time.Advance(TimeSpan.FromSeconds(30));
        var next = await JsonAsync(await LoginAsync(employee.Email));
        Assert.Equal("totp", next.GetProperty("method").GetString());
        await ProblemAsync(await EnrollAsync(next.GetProperty("loginTicket").GetString()!), HttpStatusCode.Conflict,
            "totp_already_enrolled");
        await JsonAsync(await VerifyAsync(next.GetProperty("loginTicket").GetString()!, CodeNow(base32)));

        var audit = await AuditAsync(organisation.Id);
        Assert.Single(audit, e => e.Event == MobileAuditEvents.TotpEnrollmentStarted && e.SubjectUserId == employee.Id);
        Assert.Single(audit, e => e.Event == MobileAuditEvents.TotpEnrollmentConfirmed && e.SubjectUserId == employee.Id);
        Assert.All(audit, e => Assert.DoesNotContain(base32, e.Details ?? ""));

        // The user hears of the new factor once: when it was confirmed, not at every code.
        var added = await mail.WaitForAsync(m => m.To == employee.Email && m.TemplateId == Contracts.EmailTemplates.FactorAdded);
        Assert.StartsWith("een authenticator-app voor FlexWhere for Mobile, ", added.Details);
        Assert.DoesNotContain(base32, Contracts.EmailTemplates.Render(added).Body);
        Assert.Single(await mail.SettledAsync(m => m.To == employee.Email && m.TemplateId == Contracts.EmailTemplates.FactorAdded));
    }

    [Fact]
    public async Task The_secret_is_encrypted_in_the_database_and_another_replica_can_still_use_it()
    {
        var (_, employee) = await TotpOrganisationAsync();
        var ticket = await TicketAsync(employee);
        var base32 = (await JsonAsync(await EnrollAsync(ticket))).GetProperty("secret").GetString()!;
        var secret = Base32Encoding.ToBytes(base32);

        await using (var db = NewDbContext())
        {
            var stored = await db.TotpFactors.SingleAsync(f => f.UserId == employee.Id);
            Assert.Null(stored.ConfirmedAt);
            Assert.False(ContainsSequence(stored.ProtectedSecret, secret), "the raw secret is in the stored value");
            Assert.DoesNotContain(base32, Encoding.ASCII.GetString(stored.ProtectedSecret));
            Assert.DoesNotContain(base32, Convert.ToBase64String(stored.ProtectedSecret));
            Assert.NotEmpty(await db.DataProtectionKeys.ToListAsync());
        }

        // A second instance of the service (a replica) with the same database reads the same key ring.
        using var replica = Factory.WithWebHostBuilder(_ => { });
        using var replicaClient = replica.CreateClient();
        var response = await replicaClient.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code = CodeNow(base32) });
        Assert.Equal("signed_in", (await JsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Enrolling_again_before_confirmation_replaces_the_pending_secret()
    {
        var (_, employee) = await TotpOrganisationAsync();
        var ticket = await TicketAsync(employee);
        var first = (await JsonAsync(await EnrollAsync(ticket))).GetProperty("secret").GetString()!;
        var second = (await JsonAsync(await EnrollAsync(ticket))).GetProperty("secret").GetString()!;
        Assert.NotEqual(first, second);

        await ProblemAsync(await VerifyAsync(ticket, CodeNow(first)), HttpStatusCode.BadRequest, "invalid_code");
        await JsonAsync(await VerifyAsync(ticket, CodeNow(second)));
    }

    [Fact]
    public async Task A_code_is_needed_before_enrollment_has_started()
    {
        var (_, employee) = await TotpOrganisationAsync();
        var ticket = await TicketAsync(employee);

        await ProblemAsync(await VerifyAsync(ticket, "123456"), HttpStatusCode.Conflict, "totp_not_enrolled");
    }

    [Fact]
    public async Task A_code_is_accepted_once_a_replay_in_a_new_sign_in_is_refused()
    {
        var (organisation, employee) = await TotpOrganisationAsync();
        var base32 = await EnrolledAsync(employee);
        Time.Advance(TimeSpan.FromSeconds(30));
        var code = CodeNow(base32);

        await JsonAsync(await VerifyAsync(await TicketAsync(employee), code));
        var replay = await ProblemAsync(await VerifyAsync(await TicketAsync(employee), code), HttpStatusCode.BadRequest, "invalid_code");
        Assert.Equal(4, replay.GetProperty("attemptsLeft").GetInt32());

        Time.Advance(TimeSpan.FromSeconds(30));
        await JsonAsync(await VerifyAsync(await TicketAsync(employee), CodeNow(base32)));
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == MobileAuditEvents.TotpFailed
            && e.Details == "code of an already used time step");
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(1, true)]
    [InlineData(-2, false)]
    [InlineData(2, false)]
    public async Task A_code_one_step_off_is_accepted_two_steps_off_is_not(int stepsOff, bool accepted)
    {
        var (_, employee) = await TotpOrganisationAsync();
        var base32 = await EnrolledAsync(employee);
        Time.Advance(TimeSpan.FromMinutes(5));
        var step = TotpCode.StepAt(Time.GetUtcNow()) + stepsOff;

        var response = await VerifyAsync(await TicketAsync(employee), TotpCode.Code(Base32Encoding.ToBytes(base32), step));

        if (accepted) Assert.Equal("signed_in", (await JsonAsync(response)).GetProperty("status").GetString());
        else await ProblemAsync(response, HttpStatusCode.BadRequest, "invalid_code");
    }

    [Fact]
    public async Task Verify_ends_the_ticket_after_five_wrong_codes()
    {
        var (_, employee) = await TotpOrganisationAsync();
        var base32 = await EnrolledAsync(employee);
        Time.Advance(TimeSpan.FromSeconds(30));
        var ticket = await TicketAsync(employee);
        var wrong = WrongCode(base32);

        for (var left = 4; left >= 1; left--)
        {
            var problem = await ProblemAsync(await VerifyAsync(ticket, wrong), HttpStatusCode.BadRequest, "invalid_code");
            Assert.Equal(left, problem.GetProperty("attemptsLeft").GetInt32());
        }

        await ProblemAsync(await VerifyAsync(ticket, wrong), HttpStatusCode.TooManyRequests, "too_many_attempts");
        await ProblemAsync(await VerifyAsync(ticket, CodeNow(base32)), HttpStatusCode.Gone, "challenge_expired");
        await using var db = NewDbContext();
        Assert.Equal(1, await db.RefreshTokens.CountAsync(t => t.UserId == employee.Id));
    }

    [Fact]
    public async Task Ten_wrong_codes_over_new_tickets_lock_the_authenticator_for_fifteen_minutes()
    {
        var (organisation, employee) = await TotpOrganisationAsync();
        var base32 = await EnrolledAsync(employee);
        Time.Advance(TimeSpan.FromSeconds(30));

        for (var attempt = 1; attempt <= 9; attempt++)
        {
            var ticket = await TicketAsync(employee);
            await ProblemAsync(await VerifyAsync(ticket, WrongCode(base32)), HttpStatusCode.BadRequest, "invalid_code");
            Time.Advance(TimeSpan.FromSeconds(20));
        }

        var tenth = await VerifyAsync(await TicketAsync(employee), WrongCode(base32));
        await ProblemAsync(tenth, HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(15), tenth.Headers.RetryAfter?.Delta);

        // Locked: even the right code on a fresh ticket is refused until the lock ends.
        Time.Advance(TimeSpan.FromMinutes(10));
        var locked = await VerifyAsync(await TicketAsync(employee), CodeNow(base32));
        await ProblemAsync(locked, HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(5), locked.Headers.RetryAfter?.Delta);

        Time.Advance(TimeSpan.FromMinutes(5));
        await JsonAsync(await VerifyAsync(await TicketAsync(employee), CodeNow(base32)));
        var audit = await AuditAsync(organisation.Id);
        Assert.Single(audit, e => e.Event == MobileAuditEvents.TotpLocked && e.SubjectUserId == employee.Id);
        Assert.Equal(10, audit.Count(e => e.Event == MobileAuditEvents.TotpFailed));
    }

    [Fact]
    public async Task Ten_consecutive_wrong_codes_lock_however_slowly_they_come_and_a_right_code_starts_the_count_again()
    {
        var (_, employee) = await TotpOrganisationAsync();
        var base32 = await EnrolledAsync(employee);

        for (var attempt = 1; attempt <= 9; attempt++)
        {
            Time.Advance(TimeSpan.FromMinutes(2));
            await ProblemAsync(await VerifyAsync(await TicketAsync(employee), WrongCode(base32)), HttpStatusCode.BadRequest,
                "invalid_code");
        }

        Time.Advance(TimeSpan.FromSeconds(30));
        await JsonAsync(await VerifyAsync(await TicketAsync(employee), CodeNow(base32)));

        // Nine more after the right code: still no lock; the tenth in a row (slow as it is) locks.
        for (var attempt = 1; attempt <= 9; attempt++)
        {
            Time.Advance(TimeSpan.FromMinutes(2));
            await ProblemAsync(await VerifyAsync(await TicketAsync(employee), WrongCode(base32)), HttpStatusCode.BadRequest,
                "invalid_code");
        }

        Time.Advance(TimeSpan.FromMinutes(2));
        await ProblemAsync(await VerifyAsync(await TicketAsync(employee), WrongCode(base32)), HttpStatusCode.TooManyRequests,
            "second_factor_locked");
    }

    [Fact]
    public async Task An_admin_mfa_reset_removes_the_authenticator_so_the_next_sign_in_enrolls_again()
    {
        var (_, employee) = await TotpOrganisationAsync();
        await EnrolledAsync(employee);
        var admin = await CreateUserAsync(await OrganisationOfAsync(employee), UserRole.Admin);

        var reset = await ClientFor(admin).PostAsync($"/api/users/{employee.Id}/mfa/reset", null);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);

        var login = await JsonAsync(await LoginAsync(employee.Email));
        Assert.Equal("totp_enrollment", login.GetProperty("method").GetString());
    }

    [Fact]
    public async Task Mobile_sign_in_without_a_totp_requirement_gets_tokens_at_once()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee, phone: null);

        var body = await JsonAsync(await LoginAsync(employee.Email));

        Assert.Equal("signed_in", body.GetProperty("status").GetString());
        await using var db = NewDbContext();
        Assert.False(await db.TotpFactors.AnyAsync());
    }

    private async Task<(Organisation Organisation, User Employee)> TotpOrganisationAsync()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.MobileTotpRequired = true);
        // No phone: linking the authenticator takes an administrator's enrollment code (the SMS proof
        // is tested with a real Challenges in AssuranceTests).
        return (organisation, await CreateUserAsync(organisation, UserRole.Employee, phone: null));
    }

    private async Task<Organisation> OrganisationOfAsync(User user)
    {
        await using var db = NewDbContext();
        return await db.Organisations.SingleAsync(o => o.Id == user.OrganisationId);
    }

    private async Task<string> TicketAsync(User user) =>
        (await JsonAsync(await LoginAsync(user.Email))).GetProperty("loginTicket").GetString()!;

    /// <summary>Enrolls and confirms the user's authenticator; returns its base32 secret.</summary>
    private async Task<string> EnrolledAsync(User user)
    {
        var ticket = await TicketAsync(user);
        var base32 = (await JsonAsync(await EnrollAsync(ticket))).GetProperty("secret").GetString()!;
        await JsonAsync(await VerifyAsync(ticket, CodeNow(base32)));
        return base32;
    }

    /// <summary>Enrolls with a fresh enrollment code an admin of the ticket's organisation issues.</summary>
    private async Task<HttpResponseMessage> EnrollAsync(string ticket)
    {
        await using var db = NewDbContext();
        var hash = Mfa.OpaqueTokens.Hash(ticket);
        var user = await db.Users.SingleAsync(u => db.LoginTickets.Any(t => t.TokenHash == hash && t.UserId == u.Id));
        var admin = await db.Users.FirstOrDefaultAsync(u => u.OrganisationId == user.OrganisationId && u.Role == UserRole.Admin)
            ?? await CreateUserAsync(await OrganisationOfAsync(user), UserRole.Admin);
        var issued = await JsonAsync(await ClientFor(admin).PostAsync($"/api/users/{user.Id}/totp-enrollment-code", null));
        return await Client.PostAsJsonAsync("/api/auth/totp/enroll",
            new { loginTicket = ticket, code = issued.GetProperty("code").GetString() });
    }

    private Task<HttpResponseMessage> VerifyAsync(string ticket, string code) =>
        Client.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code, rememberDevice = false });

    private string CodeNow(string base32) => TotpCode.Code(Base32Encoding.ToBytes(base32), TotpCode.StepAt(Time.GetUtcNow()));

    /// <summary>A code that is right for none of the steps the verifier accepts now.</summary>
    private string WrongCode(string base32)
    {
        var secret = Base32Encoding.ToBytes(base32);
        var current = TotpCode.StepAt(Time.GetUtcNow());
        var valid = Enumerable.Range(-1, 3).Select(d => TotpCode.Code(secret, current + d)).ToHashSet();
        return Enumerable.Range(0, 10).Select(i => ((int.Parse(valid.First()) + 1 + i) % 1_000_000).ToString("D6"))
            .First(c => !valid.Contains(c));
    }

    private static bool ContainsSequence(byte[] haystack, byte[] needle) =>
        Enumerable.Range(0, Math.Max(0, haystack.Length - needle.Length + 1))
            .Any(i => haystack.AsSpan(i, needle.Length).SequenceEqual(needle));
}
