using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

public sealed class RoutingTests : IAsyncLifetime
{
    private static readonly string[] ServiceNames = ["accounts", "challenges", "notifier"];
    private readonly Dictionary<string, DownstreamService> _services = [];
    private ServiceFactory<Program> _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        foreach (var name in ServiceNames) _services[name] = await DownstreamService.StartAsync(name);
        _gateway = new ServiceFactory<Program>(
            [.. _services.Values.Select(service => ($"services:{service.Name}:http:0", (string?)service.Address))]);
        _client = _gateway.CreateClient();
    }

    [Theory]
    [InlineData("accounts")]
    [InlineData("challenges")]
    [InlineData("notifier")]
    public async Task Forwards_a_services_openapi_document_to_that_service(string service)
    {
        var body = await _client.GetStringAsync($"/api/{service}/openapi/v1.json");

        Assert.Equal($"{service}:/openapi/v1.json", body);
    }

    [Theory]
    [InlineData("/api/accounts/health")]
    [InlineData("/api/accounts/openapi/v2.json")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/api/challenges/internal/challenges")]
    public async Task Answers_404_for_paths_it_does_not_publish_and_forwards_nothing(string path)
    {
        var before = _services.Values.Sum(service => service.ReceivedPaths.Count(received => received != "/health"));

        using var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, _services.Values.Sum(service => service.ReceivedPaths.Count(received => received != "/health")));
    }

    [Fact]
    public async Task Is_ready_only_while_every_service_behind_it_is()
    {
        var (code, _, raw) = await HealthProbe.WaitForReadinessAsync(_client, HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        Assert.True(code == HttpStatusCode.OK, raw);

        _services["challenges"].Ready = false;
        var (downCode, downBody, downRaw) = await HealthProbe.WaitForReadinessAsync(_client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));

        Assert.True(downCode == HttpStatusCode.ServiceUnavailable, downRaw);
        Assert.Equal("Unhealthy", downBody!.Checks["downstream-challenges"].Status);
        Assert.Equal("Healthy", downBody.Checks["downstream-accounts"].Status);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        foreach (var service in _services.Values) await service.DisposeAsync();
    }
}
