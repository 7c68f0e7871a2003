using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(MfaCollection.Name)]
public class ControlCentreSignInTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    [Theory]
    [InlineData(UserRole.Admin)]
    [InlineData(UserRole.Manager)]
    [InlineData(UserRole.Employee)]
    public async Task The_password_alone_gives_no_tokens_the_sms_code_does(UserRole role)
    {
        var organisation = await CreateOrganisationAsync();
        var user = await CreateMfaUserAsync(organisation, role);

        var (ticket, code, body) = await StartSmsSignInAsync(user);

        Assert.False(body.TryGetProperty("accessToken", out _));
        Assert.Equal(Phones.Mask(user.PhoneNumber!), body.GetProperty("phoneHint").GetString());
        Assert.DoesNotContain(user.PhoneNumber![4..], body.GetProperty("phoneHint").GetString()!.Replace(" ", ""));
        Assert.True(body.GetProperty("expiresAt").GetDateTimeOffset() > body.GetProperty("resendAfter").GetDateTimeOffset());
        await using (var db = NewDbContext()) Assert.Equal(0, await db.RefreshTokens.CountAsync(t => t.UserId == user.Id));

        var signedIn = await JsonAsync(await VerifyAsync(ticket, code));
        Assert.False(signedIn.TryGetProperty("deviceToken", out _));
        using var client = BearerClient(signedIn);
        var me = await JsonAsync(await client.GetAsync("/api/me"));
        Assert.Equal(user.Email, me.GetProperty("email").GetString());

        var audit = (await AuditAsync(organisation.Id)).Where(e => e.SubjectUserId == user.Id).Select(e => e.Event).ToList();
        Assert.Equal([AuditEvents.MfaCodeSent, AuditEvents.MfaVerified, AuditEvents.SignInSucceeded], audit);
    }

    [Fact]
    public async Task A_used_code_and_ticket_are_refused_the_second_time()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, code, _) = await StartSmsSignInAsync(admin);
        await JsonAsync(await VerifyAsync(ticket, code));

        await ProblemAsync(await VerifyAsync(ticket, code), HttpStatusCode.Gone, "challenge_expired");

        await using var db = NewDbContext();
        Assert.Equal(1, await db.RefreshTokens.CountAsync(t => t.UserId == admin.Id));
    }

    [Fact]
    public async Task Wrong_codes_count_down_then_end_the_sign_in()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, code, _) = await StartSmsSignInAsync(admin);

        for (var left = 4; left >= 1; left--)
        {
            var problem = await ProblemAsync(await VerifyAsync(ticket, WrongCode(code)), HttpStatusCode.BadRequest, "invalid_code");
            Assert.Equal(left, problem.GetProperty("attemptsLeft").GetInt32());
        }

        await ProblemAsync(await VerifyAsync(ticket, WrongCode(code)), HttpStatusCode.TooManyRequests, "too_many_attempts");
        await ProblemAsync(await VerifyAsync(ticket, code), HttpStatusCode.Gone, "challenge_expired");
        await using var db = NewDbContext();
        Assert.Equal(0, await db.RefreshTokens.CountAsync(t => t.UserId == admin.Id));
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.MfaCodeFailed
            && e.Details!.Contains("sign-in ended"));
    }

    [Fact]
    public async Task An_expired_code_is_refused()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, code, _) = await StartSmsSignInAsync(admin);

        ChallengesTime.Advance(TimeSpan.FromMinutes(6));

        await ProblemAsync(await VerifyAsync(ticket, code), HttpStatusCode.Gone, "challenge_expired");
    }

    [Fact]
    public async Task A_login_ticket_expires_after_fifteen_minutes()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, code, _) = await StartSmsSignInAsync(admin);

        Time.Advance(TimeSpan.FromMinutes(16));

        await ProblemAsync(await VerifyAsync(ticket, code), HttpStatusCode.Gone, "challenge_expired");
    }

    [Fact]
    public async Task Resend_right_away_is_too_soon_and_says_when()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, _, _) = await StartSmsSignInAsync(admin);

        var response = await Client.PostAsJsonAsync("/api/auth/mfa/resend", new { loginTicket = ticket });

        await ProblemAsync(response, HttpStatusCode.TooManyRequests, "resend_too_soon");
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Resend_after_the_wait_sends_a_new_code_that_works()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, first, _) = await StartSmsSignInAsync(admin);
        ChallengesTime.Advance(TimeSpan.FromSeconds(31));

        var second = await NextSmsToAsync(admin.PhoneNumber!, async () =>
            await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/resend", new { loginTicket = ticket })));

        if (second.Code != first) await ProblemAsync(await VerifyAsync(ticket, first), HttpStatusCode.BadRequest, "invalid_code");
        await JsonAsync(await VerifyAsync(ticket, second.Code));
    }

    [Fact]
    public async Task A_wrong_password_sends_no_sms()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);

        await ProblemAsync(await ControlCentreLoginAsync(admin, password: "not-the-password"), HttpStatusCode.Unauthorized,
            "invalid_credentials");

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(Sms.Sent, m => m.Destination == admin.PhoneNumber);
    }

    [Fact]
    public async Task A_number_set_by_an_admin_is_verified_by_its_first_sign_in_code()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager, phoneVerified: false);

        await SignInWithSmsAsync(manager);

        await using var db = NewDbContext();
        Assert.True((await db.Users.SingleAsync(u => u.Id == manager.Id)).PhoneVerified);
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.PhoneVerified && e.SubjectUserId == manager.Id);
    }

    [Fact]
    public async Task A_number_outside_the_allowed_countries_gets_no_code_and_a_clear_answer()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin, phone: "+46701740678");

        var problem = await ProblemAsync(await ControlCentreLoginAsync(admin), HttpStatusCode.Forbidden, "phone_number_missing");

        Assert.Contains("SE", problem.GetProperty("detail").GetString());
        Assert.Equal("country_not_allowed", problem.GetProperty("reason").GetString());
        // Accounts checks the country itself: Challenges is never asked, so nothing is sent.
        Assert.Empty(await Sms.SettledAsync(m => m.Destination == admin.PhoneNumber));
        await using var db = NewDbContext();
        Assert.Equal(0, await db.RefreshTokens.CountAsync(t => t.UserId == admin.Id));
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.MfaSendFailed && e.Details == "country_not_allowed");
    }
}
