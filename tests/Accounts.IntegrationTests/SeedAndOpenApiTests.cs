using System.Net;
using System.Text.Json;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(PostgresCollection.Name)]
public class SeedAndOpenApiTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    [Fact]
    public async Task The_development_seed_lets_its_users_sign_in_at_once_and_can_run_twice()
    {
        await using (var db = NewDbContext())
        {
            await DevelopmentSeed.SeedAsync(db, new PasswordHasher<User>(), Time, default);
            await DevelopmentSeed.SeedAsync(db, new PasswordHasher<User>(), Time, default);
        }

        var employee = await JsonAsync(await LoginAsync("employee@demo.flexwhere.test", DevelopmentSeed.Password, "mobile"));
        Assert.Equal("signed_in", employee.GetProperty("status").GetString());
        // The password is right; the admin is stopped only by the second factor (Challenges is not running here).
        await ProblemAsync(await LoginAsync("admin@demo.flexwhere.test", DevelopmentSeed.Password, "control-centre"),
            HttpStatusCode.ServiceUnavailable, "mfa_unavailable");
        await ProblemAsync(await LoginAsync("manager@demo.flexwhere.test", DevelopmentSeed.Password, "control-centre"),
            HttpStatusCode.ServiceUnavailable, "mfa_unavailable");
        await using var check = NewDbContext();
        Assert.Equal(3, await check.Users.CountAsync());
        var organisation = await check.Organisations.SingleAsync();
        Assert.Equal("Demo", organisation.Name);
        // A Dutch organisation whose three demo users chose English (the Control Centre's screenshots and browser tests).
        Assert.Equal("NL", organisation.Country);
        Assert.All(await check.Users.ToListAsync(), user => Assert.Equal("en", User.LocaleFor(user, organisation)));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_route()
    {
        var document = await Client.GetStringAsync("/openapi/v1.json");

        string[] paths =
        [
            "/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/me", "/.well-known/jwks.json",
            "/api/users", "/api/users/{id}", "/api/users/{id}/phone", "/api/users/{id}/disable", "/api/users/{id}/enable",
                "/api/users/import",
            "/api/organisation/settings", "/api/organisation/mfa-readiness", "/api/audit",
        ];
        Assert.All(paths, path => Assert.Contains($"\"{path}\"", document));
    }

    [Fact]
    public async Task The_openapi_document_marks_what_needs_a_token_and_no_longer_serves_scalar_itself()
    {
        var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths");

        // The Gateway merges this into the one public document; the step-up sits behind its open /api/auth route.
        Assert.True(paths.GetProperty("/api/auth/step-up").GetProperty("post").TryGetProperty("security", out _));
        Assert.True(paths.GetProperty("/api/users").GetProperty("get").TryGetProperty("security", out _));
        Assert.False(paths.GetProperty("/api/auth/login").GetProperty("post").TryGetProperty("security", out _));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer")
            .GetProperty("scheme").GetString());
        // Scalar is served once, by the Gateway, on the merged document.
        using var scalar = await Client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.NotFound, scalar.StatusCode);
    }
}
