namespace FlexWhere.Gateway.Auth;

/// <summary>
/// A route that names no authorization policy needs a valid access token (YARP's "default"
/// policy), and one that names no rate limit gets the per-user limit: a route added to the
/// configuration without thinking is closed, not open.
/// </summary>
internal sealed class SecureRouteDefaults : IProxyConfigFilter
{
    public const string AuthenticatedPolicy = "default";

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route with
        {
            AuthorizationPolicy = string.IsNullOrWhiteSpace(route.AuthorizationPolicy) ? AuthenticatedPolicy : route.AuthorizationPolicy,
            RateLimiterPolicy = string.IsNullOrWhiteSpace(route.RateLimiterPolicy) ? EdgeRateLimits.PerUserPolicy : route.RateLimiterPolicy,
        });

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => ValueTask.FromResult(cluster);
}
