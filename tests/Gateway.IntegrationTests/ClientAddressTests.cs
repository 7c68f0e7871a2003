using System.Net;
using FlexWhere.Testing;
using Microsoft.Extensions.Hosting;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>
/// The client's address is what the per-IP limits count and the audit log records: a client must not
/// choose it. The Gateway runs on Kestrel here, so the client is a real loopback peer, as every
/// client is under the AppHost.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ClientAddressTests(RedisServer redis)
{
    private const string Forged = "203.0.113.7";

    [Fact]
    public async Task A_forged_X_Forwarded_For_from_a_loopback_client_does_not_reach_the_services()
    {
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, onKestrel: true);
        using var request = stack.Get(GatewayStack.AnonymousPath);
        request.Headers.Add("X-Forwarded-For", $"{Forged}, 198.51.100.9");
        request.Headers.Add("Forwarded", $"for={Forged}");
        request.Headers.Add(GatewayForwarding.SecretHeader, "guessed-by-the-client");

        using var response = await stack.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(stack.Services["accounts"].ReceivedApiRequests);
        Assert.Equal("127.0.0.1", forwarded.Headers["X-Forwarded-For"]);
        Assert.False(forwarded.Headers.ContainsKey("Forwarded"));
        Assert.Equal(GatewayStack.GatewaySecret, forwarded.Headers[GatewayForwarding.SecretHeader]);
    }

    [Fact]
    public async Task A_client_cannot_escape_the_per_ip_limit_by_forging_X_Forwarded_For()
    {
        const int limit = 3;
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, onKestrel: true,
            ("Gateway:RateLimits:AnonymousPerIpPerMinute", limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // Each request claims another address; counted by what it claims, none would be refused.
        // The loopback bucket may hold counts from other tests this minute, so only "at most limit pass" is certain.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= limit; i++)
        {
            using var request = stack.Get(GatewayStack.AnonymousPath);
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 10}");
            using var response = await stack.Client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(status => status == HttpStatusCode.OK) <= limit, string.Join(", ", statuses));
    }

    [Fact]
    public async Task X_Forwarded_For_from_a_configured_network_names_the_client()
    {
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, onKestrel: true,
            ("ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8"));
        using var request = stack.Get(GatewayStack.AnonymousPath);
        request.Headers.Add("X-Forwarded-For", Forged);

        using var response = await stack.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(stack.Services["accounts"].ReceivedApiRequests);
        Assert.Equal(Forged, forwarded.Headers["X-Forwarded-For"]);
    }

    [Fact]
    public async Task X_Forwarded_For_from_a_proxy_that_is_not_configured_is_ignored()
    {
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, onKestrel: true,
            ("ForwardedHeaders:KnownProxies:0", "10.20.30.40"), ("ForwardedHeaders:KnownNetworks:0", "192.168.0.0/16"));
        using var request = stack.Get(GatewayStack.AnonymousPath);
        request.Headers.Add("X-Forwarded-For", Forged);

        using var response = await stack.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("127.0.0.1", Assert.Single(stack.Services["accounts"].ReceivedApiRequests).Headers["X-Forwarded-For"]);
    }
}
