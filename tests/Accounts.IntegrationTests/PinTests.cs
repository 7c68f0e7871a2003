using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(MobilePostgresCollection.Name)]
public class PinTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    [Fact]
    public async Task A_new_mobile_session_is_told_to_set_a_pin_and_after_setting_it_the_refresh_says_so()
    {
        var (_, employee) = await PinOrganisationAsync(pinLength: 6);

        var signedIn = await JsonAsync(await LoginAsync(employee.Email));
        Assert.True(signedIn.GetProperty("pinRequired").GetBoolean());
        Assert.True(signedIn.GetProperty("pinSetupRequired").GetBoolean());

        using var app = Bearer(signedIn);
        // Until the PIN is set the session may only set it: the server says so, not the app.
        await ProblemAsync(await app.GetAsync("/api/me"), HttpStatusCode.Forbidden, "pin_setup_required");
        Assert.Equal(HttpStatusCode.NoContent, (await SetPinAsync(app, "318046")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await VerifyPinAsync(app, "318046")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/api/me")).StatusCode);

        // With a PIN set, the refresh needs it: a stolen refresh token alone is not enough.
        var refreshToken = signedIn.GetProperty("refreshToken").GetString();
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken }), HttpStatusCode.Unauthorized,
            "pin_required");
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken, pin = "999999" }),
            HttpStatusCode.BadRequest, "invalid_pin");
        var refreshed = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken, pin = "318046" }));
        Assert.True(refreshed.GetProperty("pinRequired").GetBoolean());
        Assert.False(refreshed.GetProperty("pinSetupRequired").GetBoolean());
        var amr = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(refreshed.GetProperty("accessToken").GetString())
            .Claims.Where(c => c.Type == "amr").Select(c => c.Value).ToList();
        Assert.Equal(["pwd", "pin"], amr);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("1234")]
    [InlineData("4321")]
    [InlineData("1111")]
    [InlineData("1212")]
    [InlineData("2580")]
    public async Task Trivial_pins_are_refused_as_too_weak(string pin)
    {
        var (_, employee) = await PinOrganisationAsync(pinLength: 4);
        using var app = Bearer(await JsonAsync(await LoginAsync(employee.Email)));

        var problem = await ProblemAsync(await SetPinAsync(app, pin), HttpStatusCode.BadRequest, "pin_too_weak");

        Assert.Contains("1234", problem.GetProperty("detail").GetString());
        await using var db = NewDbContext();
        Assert.False(await db.MobilePins.AnyAsync());
    }

    [Theory]
    [InlineData("2749")]
    [InlineData("27491")]
    [InlineData("274913a")]
    [InlineData("")]
    public async Task A_pin_of_the_wrong_length_or_with_other_characters_is_a_validation_problem(string pin)
    {
        var (_, employee) = await PinOrganisationAsync(pinLength: 6);
        using var app = Bearer(await JsonAsync(await LoginAsync(employee.Email)));

        var problem = await ProblemAsync(await SetPinAsync(app, pin), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Contains("6 digits", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Five_wrong_pins_revoke_the_session_and_its_refresh_token_stops_working()
    {
        var (organisation, employee) = await PinOrganisationAsync(pinLength: 4);
        var signedIn = await JsonAsync(await LoginAsync(employee.Email));
        using var app = Bearer(signedIn);
        await SetPinAsync(app, "2749");

        for (var left = 4; left >= 1; left--)
        {
            var problem = await ProblemAsync(await VerifyPinAsync(app, "9472"), HttpStatusCode.BadRequest, "invalid_pin");
            Assert.Equal(left, problem.GetProperty("attemptsLeft").GetInt32());
        }

        await ProblemAsync(await VerifyPinAsync(app, "9472"), HttpStatusCode.Unauthorized, "session_revoked");

        // The access token is still unexpired, but the session is over: even the right PIN is refused now.
        await ProblemAsync(await VerifyPinAsync(app, "2749"), HttpStatusCode.Unauthorized, "session_revoked");
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = signedIn.GetProperty("refreshToken").GetString() }),
            HttpStatusCode.Unauthorized, "invalid_token");
        var audit = await AuditAsync(organisation.Id);
        Assert.Equal(5, audit.Count(e => e.Event == MobileAuditEvents.PinFailed));
        Assert.Single(audit, e => e.Event == MobileAuditEvents.PinLocked);
        Assert.All(audit, e => Assert.DoesNotContain("2749", e.Details ?? ""));
        Assert.All(audit, e => Assert.DoesNotContain("9472", e.Details ?? ""));
    }

    [Fact]
    public async Task Wrong_pins_sent_all_at_once_are_each_counted_once_and_end_the_session_exactly_once()
    {
        var (organisation, employee) = await PinOrganisationAsync(pinLength: 4);
        using var app = Bearer(await JsonAsync(await LoginAsync(employee.Email)));
        await SetPinAsync(app, "2749");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await VerifyPinAsync(app, "9472");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return ((int)response.StatusCode, body.TryGetProperty("code", out var code) ? code.GetString() : body.ToString());
        }));

        // Never a 500 when a guess races the one that ends the session: each is a wrong PIN or a revoked session.
        Assert.All(answers, answer => Assert.True(answer is (400, "invalid_pin") or (401, "session_revoked"), $"{answer}"));
        Assert.Equal(4, answers.Count(answer => answer.Item2 == "invalid_pin"));
        var audit = await AuditAsync(organisation.Id);
        Assert.Single(audit, e => e.Event == MobileAuditEvents.PinLocked);
        await using var db = NewDbContext();
        Assert.False(await db.MobilePins.AnyAsync());
    }

    [Fact]
    public async Task A_right_pin_resets_the_count_of_wrong_ones()
    {
        var (_, employee) = await PinOrganisationAsync(pinLength: 4);
        using var app = Bearer(await JsonAsync(await LoginAsync(employee.Email)));
        await SetPinAsync(app, "2749");

        for (var i = 0; i < 4; i++) await VerifyPinAsync(app, "9472");
        Assert.Equal(HttpStatusCode.NoContent, (await VerifyPinAsync(app, "2749")).StatusCode);

        var problem = await ProblemAsync(await VerifyPinAsync(app, "9472"), HttpStatusCode.BadRequest, "invalid_pin");
        Assert.Equal(4, problem.GetProperty("attemptsLeft").GetInt32());
    }

    [Fact]
    public async Task Changing_the_pin_needs_the_current_one_and_the_pin_is_stored_hashed()
    {
        var (organisation, employee) = await PinOrganisationAsync(pinLength: 4);
        using var app = Bearer(await JsonAsync(await LoginAsync(employee.Email)));
        await SetPinAsync(app, "2749");

        await ProblemAsync(await SetPinAsync(app, "5183"), HttpStatusCode.BadRequest, "current_pin_required");
        await ProblemAsync(await SetPinAsync(app, "5183", currentPin: "0000"), HttpStatusCode.BadRequest, "invalid_pin");
        Assert.Equal(HttpStatusCode.NoContent, (await SetPinAsync(app, "5183", currentPin: "2749")).StatusCode);

        await ProblemAsync(await VerifyPinAsync(app, "2749"), HttpStatusCode.BadRequest, "invalid_pin");
        Assert.Equal(HttpStatusCode.NoContent, (await VerifyPinAsync(app, "5183")).StatusCode);
        await using var db = NewDbContext();
        var stored = await db.MobilePins.SingleAsync();
        Assert.DoesNotContain("5183", stored.PinHash);
        Assert.True(stored.PinHash.Length > 40);
        var audit = await AuditAsync(organisation.Id);
        Assert.Single(audit, e => e.Event == MobileAuditEvents.PinSet);
        Assert.Single(audit, e => e.Event == MobileAuditEvents.PinChanged);
    }

    [Fact]
    public async Task Each_mobile_session_has_its_own_pin()
    {
        var (_, employee) = await PinOrganisationAsync(pinLength: 4);
        using var phone = Bearer(await JsonAsync(await LoginAsync(employee.Email)));
        using var tablet = Bearer(await JsonAsync(await LoginAsync(employee.Email)));
        await SetPinAsync(phone, "2749");

        await ProblemAsync(await VerifyPinAsync(tablet, "2749"), HttpStatusCode.Forbidden, "pin_setup_required");
    }

    [Fact]
    public async Task Without_a_pin_policy_the_endpoints_say_no_pin_is_required_and_sign_in_has_no_pin_flags()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        var signedIn = await JsonAsync(await LoginAsync(employee.Email));
        Assert.False(signedIn.TryGetProperty("pinRequired", out _));
        Assert.False(signedIn.TryGetProperty("pinSetupRequired", out _));
        using var app = Bearer(signedIn);

        await ProblemAsync(await SetPinAsync(app, "2749"), HttpStatusCode.Conflict, "pin_not_required");
        await ProblemAsync(await VerifyPinAsync(app, "2749"), HttpStatusCode.Conflict, "pin_not_required");
    }

    [Fact]
    public async Task A_control_centre_session_cannot_set_a_mobile_pin()
    {
        var (_, employee) = await PinOrganisationAsync(pinLength: 4);
        using var browser = ClientFor(employee, Clients.ControlCentre);

        await ProblemAsync(await SetPinAsync(browser, "2749"), HttpStatusCode.Forbidden, "not_a_mobile_session");
    }

    [Fact]
    public async Task Pin_endpoints_need_a_bearer_token()
    {
        var response = await Client.PutAsJsonAsync("/api/me/pin", new { pin = "2749" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<(Organisation Organisation, User Employee)> PinOrganisationAsync(int pinLength)
    {
        var organisation = await CreateOrganisationAsync(configure: o => { o.MobilePinRequired = true; o.PinLength = pinLength; });
        return (organisation, await CreateUserAsync(organisation, UserRole.Employee));
    }

    private HttpClient Bearer(JsonElement signedIn)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Bearer", signedIn.GetProperty("accessToken").GetString());
        return client;
    }

    private static Task<HttpResponseMessage> SetPinAsync(HttpClient client, string pin, string? currentPin = null) =>
        client.PutAsJsonAsync("/api/me/pin", new { pin, currentPin });

    private static Task<HttpResponseMessage> VerifyPinAsync(HttpClient client, string pin) =>
        client.PostAsJsonAsync("/api/me/pin/verify", new { pin });
}
