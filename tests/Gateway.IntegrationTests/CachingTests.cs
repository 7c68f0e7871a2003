using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>API answers carry tokens, codes and tickets: nothing between the Gateway and the user may keep them.</summary>
[Collection(RedisCollection.Name)]
public sealed class CachingTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayStack _stack = null!;

    public async Task InitializeAsync() => _stack = await GatewayStack.StartAsync(redis.ConnectionString);

    [Fact]
    public async Task A_proxied_api_answer_is_not_to_be_stored()
    {
        using var response = await _stack.Client.PostAsync("/api/auth/login", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_gateways_own_api_problems_are_not_to_be_stored()
    {
        using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_service_that_sets_its_own_cache_control_keeps_it()
    {
        using var response = await _stack.Client.GetAsync($"{GatewayStack.AnonymousPath}?cacheControl=public,%20max-age=60");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=60", response.Headers.CacheControl?.ToString());
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
