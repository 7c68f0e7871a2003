using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlexWhere.Gateway.Health;

public static class DownstreamHealthChecks
{
    /// <summary><c>/health/downstream</c>: 200 when every service behind the Gateway is ready.</summary>
    public static void MapDownstreamHealth(this WebApplication app) =>
        app.MapReadiness(HealthEndpoints.DownstreamPath, check => check.Tags.Contains(HealthEndpoints.DownstreamTag));

    public const string HttpClientName = "downstream-health";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// One check per proxied cluster, reported at <see cref="HealthEndpoints.DownstreamPath"/>. They are not
    /// part of the Gateway's own readiness: with one service down the Gateway still serves every other
    /// route (that service's routes answer 503), so it stays in the load balancer. The clusters are read
    /// from the proxy configuration, so a new route cannot be forgotten here.
    /// </summary>
    public static void AddDownstreamHealthChecks(this IHostApplicationBuilder builder, IConfigurationSection proxyConfig)
    {
        // A probe must answer within its own timeout, not after the standard handler's retries.
        builder.Services.AddOneTryHttpClient(HttpClientName, ProbeTimeout);

        var healthChecks = builder.Services.AddHealthChecks();
        foreach (var cluster in proxyConfig.GetSection("Clusters").GetChildren())
        {
            var address = cluster.GetSection("Destinations").GetChildren()
                .Select(destination => destination["Address"])
                .FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));
            if (address is null) continue;

            var healthUri = new Uri(new Uri(address), HealthEndpoints.ReadinessPath);
            healthChecks.Add(new HealthCheckRegistration(
                $"downstream-{cluster.Key}",
                services => new DownstreamHealthCheck(services.GetRequiredService<IHttpClientFactory>(), healthUri),
                failureStatus: HealthStatus.Unhealthy,
                tags: [HealthEndpoints.DownstreamTag]));
        }
    }
}

/// <summary>Healthy when the service's own /health answers 200.</summary>
internal sealed class DownstreamHealthCheck(IHttpClientFactory httpClientFactory, Uri healthUri) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = httpClientFactory.CreateClient(DownstreamHealthChecks.HttpClientName);
            using var response = await client.GetAsync(healthUri, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{healthUri.Host} answered {(int)response.StatusCode}.");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{healthUri.Host} did not answer.", exception);
        }
    }
}
