using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary><c>GET /api/auth/mfa/status</c>: what a user may see of their sign-in code's text message,
/// by their login ticket only (a client never learns the challenge's id).</summary>
[Collection(MfaCollection.Name)]
public class MfaStatusTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private Task<HttpResponseMessage> StatusAsync(string? ticket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/mfa/status");
        if (ticket is not null) request.Headers.Add("X-Login-Ticket", ticket);
        return Client.SendAsync(request);
    }

    /// <summary>The status once its delivery is <paramref name="state"/>: reports travel over the broker.</summary>
    private async Task<JsonElement> WaitForDeliveryAsync(string ticket, string state)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var status = await JsonAsync(await StatusAsync(ticket));
            if (status.GetProperty("delivery").GetProperty("state").GetString() == state) return status;
            await Task.Delay(100);
        }

        throw new TimeoutException($"The delivery never became {state}.");
    }

    [Fact]
    public async Task The_status_follows_the_code_from_queued_to_delivered()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        JsonElement login = default;
        var sms = await NextSmsToAsync(admin.PhoneNumber!, async () => login = await JsonAsync(await ControlCentreLoginAsync(admin)));
        var ticket = login.GetProperty("loginTicket").GetString()!;

        var queued = await JsonAsync(await StatusAsync(ticket));
        Assert.Equal("pending", queued.GetProperty("status").GetString());
        Assert.Equal("queued", queued.GetProperty("delivery").GetProperty("state").GetString());
        Assert.Equal(5, queued.GetProperty("attemptsLeft").GetInt32());
        Assert.EndsWith(admin.PhoneNumber![^2..], queued.GetProperty("phoneHint").GetString());
        Assert.DoesNotContain(admin.PhoneNumber!, queued.GetRawText());
        PlaintextCodes.AssertNotIn(queued.GetRawText(), sms.Code, "the sign-in's status");
        Assert.DoesNotContain(sms.ChallengeId, queued.GetRawText());

        await ReportDeliveryAsync(sms, delivered: true);
        var delivered = await WaitForDeliveryAsync(ticket, "delivered");
        Assert.True(delivered.GetProperty("delivery").TryGetProperty("at", out _));

        await ProblemAsync(await VerifyAsync(ticket, WrongCode(sms.Code)), HttpStatusCode.BadRequest, "invalid_code");
        Assert.Equal(4, (await JsonAsync(await StatusAsync(ticket))).GetProperty("attemptsLeft").GetInt32());
    }

    [Fact]
    public async Task Without_a_ticket_the_answer_says_what_to_send()
    {
        await ProblemAsync(await StatusAsync(null), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task An_unknown_used_or_expired_ticket_gets_the_answer_of_the_other_mfa_routes()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);

        await ProblemAsync(await StatusAsync("a-ticket-nobody-was-given-0123456789abcdef"), HttpStatusCode.Gone, "challenge_expired");

        var (used, code, _) = await StartSmsSignInAsync(admin);
        await JsonAsync(await VerifyAsync(used, code));
        await ProblemAsync(await StatusAsync(used), HttpStatusCode.Gone, "challenge_expired");

        var (expired, _, _) = await StartSmsSignInAsync(admin);
        Time.Advance(TimeSpan.FromMinutes(16));
        await ProblemAsync(await StatusAsync(expired), HttpStatusCode.Gone, "challenge_expired");
    }

    [Fact]
    public async Task A_ticket_of_a_user_disabled_or_demoted_since_tells_nothing()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var (adminTicket, _, _) = await StartSmsSignInAsync(admin);
        var (managerTicket, _, _) = await StartSmsSignInAsync(manager);

        await using (var db = NewDbContext())
        {
            await db.Users.Where(u => u.Id == admin.Id).ExecuteUpdateAsync(set => set.SetProperty(u => u.Active, false));
            await db.Users.Where(u => u.Id == manager.Id).ExecuteUpdateAsync(set => set.SetProperty(u => u.Role, UserRole.Employee));
        }

        await ProblemAsync(await StatusAsync(adminTicket), HttpStatusCode.Gone, "challenge_expired");
        await ProblemAsync(await StatusAsync(managerTicket), HttpStatusCode.Gone, "challenge_expired");
    }

    [Fact]
    public async Task A_code_that_expired_at_challenges_shows_as_expired()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (ticket, _, _) = await StartSmsSignInAsync(admin);

        ChallengesTime.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal("expired", (await JsonAsync(await StatusAsync(ticket))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_kind_of_ticket_of_the_same_user_or_a_huge_header_tells_nothing()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var session = ClientFor(admin, freshSecondFactor: false);
        JsonElement stepUp = default;
        await NextSmsToAsync(admin.PhoneNumber!, async () => stepUp = await JsonAsync(await session.PostAsync("/api/auth/step-up/sms", null)));

        // A step-up ticket is bound to a session, not to a sign-in: as a login ticket it is unknown.
        await ProblemAsync(await StatusAsync(stepUp.GetProperty("stepUpTicket").GetString()), HttpStatusCode.Gone, "challenge_expired");
        await ProblemAsync(await StatusAsync(new string('T', 5000)), HttpStatusCode.BadRequest, "validation_failed");
        var (ticket, _, _) = await StartSmsSignInAsync(admin);
        Assert.Equal("pending", (await JsonAsync(await StatusAsync(ticket))).GetProperty("status").GetString());
    }
}
