using FlexWhere.Gateway.Health;

public static class Extensions
{
    public const string ReverseProxySection = "ReverseProxy";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var proxyConfig = builder.Configuration.GetSection(ReverseProxySection);

        // Routes and clusters come from configuration; "http://accounts" and the like are resolved
        // by Aspire service discovery, so the Gateway never hard-codes a service's address.
        builder.Services.AddReverseProxy()
            .LoadFromConfig(proxyConfig)
            .AddServiceDiscoveryDestinationResolver();

        builder.AddDownstreamHealthChecks(proxyConfig);
    }
}
