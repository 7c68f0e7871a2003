using System.Net;
using System.Net.Http.Json;
using FlexWhere.Testing;
using Microsoft.AspNetCore.Mvc;

namespace FlexWhere.Accounts.UnitTests;

/// <summary>PostgreSQL unreachable: sign-in fails closed with a 503 problem, never a 500.</summary>
public sealed class DatabaseUnavailableTests
{
    [Fact]
    public async Task Login_answers_503_accounts_unavailable_when_postgresql_is_down()
    {
        await using var factory = new ServiceFactory<Program>([.. StartupTests.Broker,
            ("ConnectionStrings:accountsdb",
                $"Host=127.0.0.1;Port={HealthProbe.ClosedPort()};Database=accounts;Username=x;Password=y;Timeout=2"),
            ("InternalApi:Key", "reliability-suite-internal-api-key-0123456789")]);
        using var client = factory.CreateClient();

        using var response = await client.PostAsJsonAsync("/api/auth/login",
            new { email = "admin@demo.flexwhere.test", password = "FlexWhere-Demo-2026!", client = "control-centre" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>();
        Assert.Equal("accounts_unavailable", problem!.Extensions["code"]?.ToString());
        Assert.DoesNotContain("accessToken", await response.Content.ReadAsStringAsync());
        // The caller may try again soon: the header and the member say when, alike.
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("5", problem.Extensions["retryAfterSeconds"]?.ToString());
    }
}
