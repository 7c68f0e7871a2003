using System.Net.Http.Json;
using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

[Collection(RedisCollection.Name)]
public sealed class RoutingTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayStack _stack = null!;

    public async Task InitializeAsync() => _stack = await GatewayStack.StartAsync(redis.ConnectionString);

    [Fact]
    public async Task Forwards_an_anonymous_route_to_its_service()
    {
        var body = await _stack.Client.GetStringAsync(GatewayStack.AnonymousPath);

        Assert.Equal($"accounts:{GatewayStack.AnonymousPath}", body);
    }

    [Theory]
    [InlineData("/api/accounts/openapi/v1.json")]
    [InlineData("/api/challenges/openapi/v1.json")]
    [InlineData("/api/notifier/openapi/v1.json")]
    [InlineData("/api/accounts/health")]
    [InlineData("/api/accounts/openapi/v2.json")]
    [InlineData("/openapi/v2.json")]
    [InlineData("/internal/challenges")]
    [InlineData("/api/challenges/internal/challenges")]
    public async Task Answers_404_for_paths_it_does_not_publish_and_forwards_nothing(string path)
    {
        using var response = await _stack.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\":\"not_found\"", await response.Content.ReadAsStringAsync());
        Assert.Empty(_stack.Services.Values.SelectMany(service => service.ReceivedApiRequests));
    }

    [Theory]
    [InlineData("/operator/organisations")]
    [InlineData("/api/accounts/operator/organisations")]
    [InlineData("/api/operator/organisations")]
    public async Task Never_forwards_the_operator_route_which_operators_reach_inside_the_cluster_only(string path)
    {
        using var response = await _stack.Client.PostAsJsonAsync(path, new { name = "Acme", country = "NL" });

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Empty(_stack.Services.Values.SelectMany(service => service.ReceivedApiRequests));
    }

    [Fact]
    public async Task Stays_ready_while_a_service_behind_it_is_down_and_reports_the_service_at_health_downstream()
    {
        var (code, _, raw) = await HealthProbe.WaitForReadinessAsync(_stack.Client, HttpStatusCode.OK, TimeSpan.FromSeconds(10),
            "/health/downstream");
        Assert.True(code == HttpStatusCode.OK, raw);

        _stack.Services["challenges"].Ready = false;
        var (downCode, downBody, downRaw) = await HealthProbe.WaitForReadinessAsync(_stack.Client, HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10), "/health/downstream");

        Assert.True(downCode == HttpStatusCode.ServiceUnavailable, downRaw);
        Assert.Equal("Unhealthy", downBody!.Checks["downstream-challenges"].Status);
        Assert.Equal("Healthy", downBody.Checks["downstream-accounts"].Status);
        // One service's outage does not take the Gateway out of its load balancer: it serves every other route.
        using var own = await _stack.Client.GetAsync("/health");
        var ownBody = await own.Content.ReadAsStringAsync();
        Assert.True(own.StatusCode == HttpStatusCode.OK, ownBody);
        Assert.DoesNotContain("downstream-", ownBody);
        Assert.Equal($"accounts:{GatewayStack.AnonymousPath}", await _stack.Client.GetStringAsync(GatewayStack.AnonymousPath));
    }

    [Fact]
    public async Task Gives_every_request_a_correlation_id_and_forwards_it()
    {
        using var generated = await _stack.Client.GetAsync(GatewayStack.AnonymousPath);
        using var supplied = new HttpRequestMessage(HttpMethod.Get, GatewayStack.AnonymousPath)
        {
            Headers = { { "X-Correlation-Id", "support-case-4711" } },
        };
        using var echoed = await _stack.Client.SendAsync(supplied);

        Assert.Matches("^[0-9a-f]{32}$", generated.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Equal("support-case-4711", echoed.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Contains(_stack.Services["accounts"].ReceivedApiRequests,
            request => request.Headers.GetValueOrDefault("X-Correlation-Id") == "support-case-4711");
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
