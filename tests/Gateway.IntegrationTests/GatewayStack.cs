using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}

/// <summary>
/// The real Gateway (in memory) with real Redis for its rate limits, in front of three services on
/// real ports. A test-only route without an authorization policy stands for every protected route:
/// it must be closed by default.
/// </summary>
internal sealed class GatewayStack : IAsyncDisposable
{
    public const string ProtectedPath = "/api/protected-test/resource";

    /// <summary>A path of the Gateway's anonymous, per-IP limited route to Accounts (<c>/api/auth/{**rest}</c>),
    /// which the stand-in service answers with its name and the path.</summary>
    public const string AnonymousPath = "/api/auth/anonymous-test";
    public const int PerUserLimit = 5;
    public const string GatewaySecret = "gateway-secret-for-the-integration-tests-0123456789";

    private GatewayStack(Dictionary<string, DownstreamService> services, ServiceFactory<Program> gateway, TestTokens tokens, bool onKestrel)
    {
        Services = services;
        Gateway = gateway;
        Tokens = tokens;
        if (onKestrel)
        {
            // Kestrel enforces the request size limit; the in-memory test server does not. The port comes
            // from the "urls" setting: UseKestrel(port) rewrites the server's addresses after the app
            // may already have bound them, and then can throw (dotnet/aspnetcore#67714).
            gateway.UseKestrel();
            gateway.StartServer();
        }

        Client = gateway.CreateClient();
    }

    public Dictionary<string, DownstreamService> Services { get; }
    public ServiceFactory<Program> Gateway { get; }
    public TestTokens Tokens { get; }
    public HttpClient Client { get; }

    /// <param name="settings">More Gateway settings, after the stack's own (so they win).</param>
    public static async Task<GatewayStack> StartAsync(string redisConnectionString, bool onKestrel = false,
        params (string Key, string? Value)[] settings)
    {
        var services = new Dictionary<string, DownstreamService>();
        foreach (var name in new[] { "accounts", "challenges", "notifier" }) services[name] = await DownstreamService.StartAsync(name);
        var tokens = new TestTokens();
        services["accounts"].Jwks = tokens.Jwks;

        var gateway = new ServiceFactory<Program>(
        [
            ("ConnectionStrings:redis", redisConnectionString),
            .. services.Values.Select(service => ($"services:{service.Name}:http:0", (string?)service.Address)),
            ("Gateway:Cors:AllowedOrigins:0", "https://cc.flexwhere.test"),
            ("Gateway:RateLimits:PerUserPerMinute", PerUserLimit.ToString()),
            ("Gateway:Jwt:KeyRefreshSeconds", "1"),
            ("ReverseProxy:Routes:protected-test:ClusterId", "accounts"),
            ("ReverseProxy:Routes:protected-test:RateLimiterPolicy", "per-user"),
            ("ReverseProxy:Routes:protected-test:Match:Path", "/api/protected-test/{**rest}"),
            ("ForwardedHeaders:GatewaySecret", GatewaySecret),
            .. onKestrel ? new[] { ("urls", (string?)"http://127.0.0.1:0") } : [],
            .. settings,
        ]);
        return new GatewayStack(services, gateway, tokens, onKestrel);
    }

    public HttpRequestMessage Get(string path, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
        Tokens.Dispose();
        foreach (var service in Services.Values) await service.DisposeAsync();
    }
}
