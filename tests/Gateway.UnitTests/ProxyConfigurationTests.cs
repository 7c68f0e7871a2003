using System.Text.RegularExpressions;
using FlexWhere.Gateway.Auth;
using FlexWhere.Gateway.RateLimiting;
using FlexWhere.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace FlexWhere.Gateway.UnitTests;

/// <summary>The routes as the Gateway loads them: what it publishes, and nothing more.</summary>
public sealed class ProxyConfigurationTests : IDisposable
{
    // Only these may be called without an access token: sign-in and MFA (by login ticket), the
    // development inbox and signed provider callbacks. The one API document is the Gateway's own.
    private static readonly Regex AnonymousPaths = new("^/(api/auth/|dev/|api/notifier/twilio/)");

    private readonly ServiceFactory<Program> _gateway = GatewayFactory.WithoutDependencies();

    private IProxyConfig Config => _gateway.Services.GetRequiredService<IProxyConfigProvider>().GetConfig();

    [Fact]
    public void Publishes_only_public_api_and_development_paths()
    {
        Assert.NotEmpty(Config.Routes);
        Assert.All(Config.Routes, route =>
            Assert.Matches(new Regex("^/(api|dev)/"), route.Match.Path ?? ""));
    }

    [Fact]
    public void Publishes_no_services_own_api_document()
    {
        Assert.DoesNotContain(Config.Routes, route => (route.Match.Path ?? "").Contains("openapi", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Routes_only_to_declared_clusters()
    {
        var clusters = Config.Clusters.Select(cluster => cluster.ClusterId).ToHashSet();

        Assert.All(Config.Routes, route => Assert.Contains(route.ClusterId!, clusters));
    }

    [Fact]
    public void Finds_every_service_by_service_discovery_not_by_address()
    {
        Assert.All(Config.Clusters, cluster => Assert.All(cluster.Destinations!.Values, destination =>
            Assert.Matches(new Regex("^https?://[a-z][a-z-]*$"), destination.Address)));
    }

    [Fact]
    public void Lets_anonymous_callers_reach_only_sign_in_the_inbox_and_callbacks()
    {
        Assert.All(Config.Routes.Where(route => route.AuthorizationPolicy == GatewayAuthentication.AnonymousPolicy),
            route => Assert.Matches(AnonymousPaths, route.Match.Path ?? ""));
    }

    [Fact]
    public void Names_a_rate_limit_for_every_route()
    {
        Assert.All(Config.Routes, route =>
            Assert.Contains(route.RateLimiterPolicy,
                new[] { EdgeRateLimits.PerIpPolicy, EdgeRateLimits.PerIpMessagesPolicy, EdgeRateLimits.PerUserPolicy }));
    }

    [Fact]
    public void Checks_the_readiness_of_every_cluster()
    {
        var checks = _gateway.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Select(registration => registration.Name)
            .ToHashSet();

        Assert.All(Config.Clusters, cluster => Assert.Contains($"downstream-{cluster.ClusterId}", checks));
    }

    public void Dispose() => _gateway.Dispose();
}
