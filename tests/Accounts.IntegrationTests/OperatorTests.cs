using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Contracts;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>Operator provisioning: an organisation and its first admin, created with an operator's key (never a customer's
/// session); the admin is invited, proves the number with an SMS code, and signs in.</summary>
[Collection(MfaCollection.Name)]
public class OperatorTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private const string AliceKey = "alice-operator-key-0123456789abcdefghijkl";
    private const string BobKey = "bob-operator-key-0123456789abcdefghijklmno";
    private const string NewPassword = "quiet-harbour-lantern-42";

    protected override IEnumerable<(string Key, string? Value)> Settings =>
        [.. base.Settings, ("Operators:Keys:alice", AliceKey), ("Operators:Keys:bob", BobKey)];

    private Task<HttpResponseMessage> CreateAsync(object body, string? key = AliceKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/operator/organisations") { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("X-Operator-Key", key);
        return Client.SendAsync(request);
    }

    private static object Organisation(string email, string phone, string name = "Van Dijk Kantoren", string country = "NL",
        string[]? allowed = null) =>
        new { name, country, adminEmail = email, adminName = "Eva de Vries", adminPhone = phone, allowedSmsCountries = allowed };

    [Fact]
    public async Task An_operator_creates_an_organisation_whose_invited_admin_proves_the_number_and_signs_in_in_dutch()
    {
        await using var mail = await EmailCapture.StartAsync(Broker.ConnectionString);
        var phone = NewMobile();

        var created = await JsonAsync(await CreateAsync(Organisation(" Eva@VanDijk.example ", phone)), HttpStatusCode.Created);

        Assert.Equal("NL", created.GetProperty("country").GetString());
        Assert.Equal("nl", created.GetProperty("locale").GetString());
        var organisationId = created.GetProperty("organisationId").GetGuid();
        var adminId = created.GetProperty("adminUserId").GetGuid();
        var invitation = await mail.WaitForAsync(m => m.To == "Eva@VanDijk.example" && m.TemplateId == EmailTemplates.Invitation);
        Assert.Equal(("nl", "Van Dijk Kantoren"), (invitation.Locale, invitation.OrganisationName));
        await using (var db = NewDbContext())
        {
            var organisation = await db.Organisations.SingleAsync(o => o.Id == organisationId);
            Assert.Equal(["NL"], organisation.AllowedSmsCountries);
            var admin = await db.Users.SingleAsync(u => u.Id == adminId);
            Assert.Equal((UserRole.Admin, phone, false, null), (admin.Role, admin.PhoneNumber, admin.PhoneVerified, admin.PasswordHash));
            Assert.NotNull(admin.AdminSince);
        }

        var audit = await AuditAsync(organisationId);
        Assert.Contains(audit, e => e.Event == AuditEvents.OrganisationCreated && e.Details!.StartsWith("by operator alice;"));
        Assert.Contains(audit, e => e.Event == AuditEvents.UserCreated && e.SubjectUserId == adminId && e.Details!.Contains("alice"));
        Assert.Contains(audit, e => e.Event == AuditEvents.InvitationSent && e.SubjectUserId == adminId);

        // The invitation: an SMS code to the admin's number first, then the password.
        var token = invitation.Link[(invitation.Link.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..];
        var sms = await NextSmsToAsync(phone, async () => await JsonAsync(await Client.PostAsJsonAsync("/api/auth/password/reset",
            new { token, password = NewPassword })));
        Assert.Equal("nl", sms.Locale);
        await JsonAsync(await Client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = NewPassword, code = sms.Code }));
        ChallengesTime.Advance(TimeSpan.FromMinutes(2));
        var login = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/login",
            new { email = "eva@vandijk.example", password = NewPassword, client = "control-centre" }));
        Assert.Equal("mfa_required", login.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("alice-operator-key-0123456789abcdefghijkX")] // one character off
    [InlineData("alice-operator-key-0123456789abcdefghijk")] // a prefix
    [InlineData(InternalKey)] // the services' key is not an operator's
    public async Task Without_an_operators_key_nothing_is_created(string? key)
    {
        var response = await CreateAsync(Organisation($"nobody-{Guid.NewGuid():N}@example.test", NewMobile()), key);

        await ProblemAsync(response, HttpStatusCode.Unauthorized, "operator_key_required");
        await using var db = NewDbContext();
        Assert.False(await db.Organisations.AnyAsync());
    }

    [Fact]
    public async Task A_customer_admins_session_is_no_operator_key()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);

        var response = await ClientFor(admin).PostAsJsonAsync("/operator/organisations",
            Organisation($"someone-{Guid.NewGuid():N}@example.test", NewMobile()));

        await ProblemAsync(response, HttpStatusCode.Unauthorized, "operator_key_required");
        await using var db = NewDbContext();
        Assert.Equal(1, await db.Organisations.CountAsync());
    }

    [Fact]
    public async Task Each_operator_is_named_in_the_audit_log_by_their_own_key()
    {
        var created = await JsonAsync(await CreateAsync(Organisation($"b-{Guid.NewGuid():N}@example.test", NewMobile()), BobKey),
            HttpStatusCode.Created);

        var audit = await AuditAsync(created.GetProperty("organisationId").GetGuid());
        Assert.Contains(audit, e => e.Event == AuditEvents.OrganisationCreated && e.Details!.StartsWith("by operator bob;"));
    }

    [Theory]
    [InlineData("country", "XX")]
    [InlineData("country", "Netherlands")]
    [InlineData("name", "")]
    [InlineData("name", "Acme\u0000Evil")]
    [InlineData("adminEmail", "not-an-address")]
    [InlineData("adminPhone", "0612345678")]
    [InlineData("adminPhone", "+32470123456")] // Belgian, and the organisation allows NL only
    [InlineData("allowedSmsCountries", "ZZ")]
    public async Task A_bad_field_is_refused_with_the_field_named_and_nothing_is_created(string field, string value)
    {
        var body = new Dictionary<string, object?>
        {
            ["name"] = "Acme", ["country"] = "NL", ["adminEmail"] = $"a-{Guid.NewGuid():N}@example.test", ["adminName"] = "Eva",
            ["adminPhone"] = NewMobile(), ["allowedSmsCountries"] = null,
        };
        body[field] = field == "allowedSmsCountries" ? new[] { value } : value;

        var problem = await ProblemAsync(await CreateAsync(body), HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        await using var db = NewDbContext();
        Assert.False(await db.Organisations.AnyAsync());
    }

    [Fact]
    public async Task A_belgian_admin_number_is_fine_once_the_organisation_allows_belgium()
    {
        var created = await JsonAsync(await CreateAsync(Organisation($"be-{Guid.NewGuid():N}@example.test", "+32470123456",
            allowed: ["nl", "BE"])), HttpStatusCode.Created);

        await using var db = NewDbContext();
        var organisation = await db.Organisations.SingleAsync(o => o.Id == created.GetProperty("organisationId").GetGuid());
        Assert.Equal(["NL", "BE"], organisation.AllowedSmsCountries);
    }

    [Fact]
    public async Task An_address_in_use_is_refused_however_many_requests_race_for_it()
    {
        var organisation = await CreateOrganisationAsync();
        var existing = await CreateMfaUserAsync(organisation);
        await ProblemAsync(await CreateAsync(Organisation(existing.Email.ToUpperInvariant(), NewMobile())), HttpStatusCode.Conflict,
            "email_taken");

        var email = $"race-{Guid.NewGuid():N}@example.test";
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => CreateAsync(Organisation(email, NewMobile()))));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        await using var db = NewDbContext();
        Assert.Equal(2, await db.Organisations.CountAsync());
        Assert.Equal(1, await db.Users.CountAsync(u => u.Email == email));
    }
}
