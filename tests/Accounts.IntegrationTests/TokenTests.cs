using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(MobilePostgresCollection.Name)]
public class TokenTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private async Task<(string Access, string Refresh, User User)> SignInEmployeeAsync()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        var body = await JsonAsync(await LoginAsync(employee.Email));
        return (body.GetProperty("accessToken").GetString()!, body.GetProperty("refreshToken").GetString()!, employee);
    }

    [Fact]
    public async Task Access_tokens_verify_against_the_published_jwks_with_the_agreed_claims()
    {
        var (access, _, employee) = await SignInEmployeeAsync();

        var jwks = new JsonWebKeySet(await Client.GetStringAsync("/.well-known/jwks.json"));
        var key = Assert.Single(jwks.Keys);
        Assert.Equal("RSA", key.Kty);
        Assert.Equal("RS256", key.Alg);
        Assert.False(key.HasPrivateKey);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(access, new TokenValidationParameters
        {
            ValidIssuer = "flexwhere-accounts",
            ValidAudience = "flexwhere",
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal("RS256", token.Alg);
        Assert.Equal(employee.Id.ToString(), token.Subject);
        Assert.Equal(employee.OrganisationId.ToString(), token.GetClaim("org").Value);
        Assert.Equal("Employee", token.GetClaim("role").Value);
        Assert.Equal(employee.Email, token.GetClaim("email").Value);
        Assert.True(Guid.TryParse(token.GetClaim("sid").Value, out _));
        Assert.Equal(TimeSpan.FromSeconds(900), token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task Api_me_refuses_a_missing_or_forged_token()
    {
        await ProblemAsync(await Client.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "unauthorized");

        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        forged.Headers.Authorization = new("Bearer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.SendAsync(forged)).StatusCode);
    }

    [Fact]
    public async Task Refresh_rotates_the_token_and_the_old_one_stops_working()
    {
        var (_, refresh, _) = await SignInEmployeeAsync();

        var renewed = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }));
        var next = renewed.GetProperty("refreshToken").GetString();
        Assert.Equal("signed_in", renewed.GetProperty("status").GetString());
        Assert.NotEqual(refresh, next);

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }), HttpStatusCode.Unauthorized,
            "invalid_token");
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_session()
    {
        var (_, refresh, employee) = await SignInEmployeeAsync();
        var renewed = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }));

        await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh",
            new { refreshToken = renewed.GetProperty("refreshToken").GetString() }),
            HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains(await AuditAsync(employee.OrganisationId), e => e.Event == AuditEvents.TokenReuseDetected);
    }

    [Fact]
    public async Task Refresh_tokens_are_stored_only_as_hashes()
    {
        var (_, refresh, _) = await SignInEmployeeAsync();

        await using var db = NewDbContext();
        var stored = await db.RefreshTokens.SingleAsync();
        Assert.Equal(32, stored.TokenHash.Length);
        Assert.NotEqual(refresh, Convert.ToBase64String(stored.TokenHash));
        Assert.Equal(Auth.Tokens.Hash(refresh), stored.TokenHash);
    }

    [Fact]
    public async Task Logout_revokes_the_refresh_token()
    {
        var (_, refresh, employee) = await SignInEmployeeAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = refresh }))
            .StatusCode);

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }), HttpStatusCode.Unauthorized,
            "invalid_token");
        Assert.Contains(await AuditAsync(employee.OrganisationId), e => e.Event == AuditEvents.TokenRevoked);
    }

    [Fact]
    public async Task An_expired_or_unknown_refresh_token_is_invalid()
    {
        var (_, refresh, _) = await SignInEmployeeAsync();

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "made-up" }), HttpStatusCode.Unauthorized,
            "invalid_token");
        Time.Advance(TimeSpan.FromDays(15));
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }), HttpStatusCode.Unauthorized,
            "invalid_token");
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_refresh_tokens()
    {
        var (_, refresh, employee) = await SignInEmployeeAsync();
        await using (var db = NewDbContext())
        {
            var organisation = await db.Organisations.SingleAsync();
            var admin = await CreateUserAsync(organisation, UserRole.Admin);
            using var adminClient = ClientFor(admin);
            await JsonAsync(await adminClient.PostAsync($"/api/users/{employee.Id}/disable", null));
        }

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }), HttpStatusCode.Unauthorized,
            "invalid_token");
    }
}
