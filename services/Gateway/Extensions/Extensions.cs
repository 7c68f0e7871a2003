public static class Extensions
{
    public const string ReverseProxySection = "ReverseProxy";
    public const string RedisConnectionName = "redis";
    public const string CorsPolicy = "control-centre";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var gateway = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();

        builder.AddRedisStore(RedisConnectionName);

        builder.AddGatewayAuthentication();
        builder.AddEdgeRateLimiting();
        builder.Services.AddExceptionHandler<RateLimitStoreUnavailableHandler>();
        builder.Services.AddCors(options => options.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(gateway.Cors.AllowedOrigins)
            .WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
            .WithHeaders("Authorization", "Content-Type", "X-Correlation-Id")
            .WithExposedHeaders("Retry-After", "X-Correlation-Id")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));

        builder.AddClientAddress();
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = gateway.MaxRequestBodyBytes);

        // Routes and clusters come from configuration; "http://accounts" and the like are resolved
        // by Aspire service discovery, so the Gateway never hard-codes a service's address.
        var proxyConfig = builder.Configuration.GetSection(ReverseProxySection);
        builder.Services.AddReverseProxy()
            .LoadFromConfig(proxyConfig)
            .AddServiceDiscoveryDestinationResolver()
            .AddConfigFilter<SecureRouteDefaults>()
            .AddTransforms(transforms =>
            {
                transforms.AddRequestTransform(context =>
                {
                    IdentityHeaders.StripReservedHeaders(context);
                    return ValueTask.CompletedTask;
                });
                transforms.AddForwardingTransforms(builder.Configuration[GatewayForwarding.SecretSetting] ?? "");
            });

        builder.AddDownstreamHealthChecks(proxyConfig);
        builder.AddPublicApiDocument();
    }

    public static void UseGatewayPipeline(this WebApplication app)
    {
        // First, so that a failure anywhere below (the rate-limit store, say) becomes a problem response.
        app.UseDefaultErrorHandling();
        app.UseClientAddress();
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.UseSecurityHeaders();
        app.UseCorrelationId();
        // The page's files are public and need neither a token nor a rate-limit count.
        app.UseControlCentrePage();
        app.UseRequestSizeLimit();
        app.UseCors(CorsPolicy);
        app.UseAuthentication();
        // After authorization: a request without a valid token is refused before it counts, and the
        // per-user limit is keyed by a user the token proved.
        app.UseAuthorization();
        app.UseRateLimiter();
    }
}
