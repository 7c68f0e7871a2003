using System.Threading.RateLimiting;
using FlexWhere.Gateway.RateLimiting;
using FlexWhere.Testing;
using StackExchange.Redis;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>
/// The edge limit's counter against real Redis, as several Gateway replicas would use it: each replica is a limiter of
/// its own on one shared key.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ReservingWindowRateLimiterTests(RedisServer redis) : IAsyncLifetime
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private ConnectionMultiplexer _redis = null!;
    private readonly string _key = $"gateway:ratelimit:test:{Guid.NewGuid():N}";

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private ReservingWindowRateLimiter Replica(int limit, TimeSpan? window = null) =>
        new(_redis, _key, limit, window ?? Minute, TimeProvider.System);

    [Fact]
    public async Task Three_replicas_racing_on_one_key_never_pass_more_than_the_limit_together()
    {
        const int limit = 100;
        var replicas = new[] { Replica(limit), Replica(limit), Replica(limit) };

        var leases = await Task.WhenAll(Enumerable.Range(0, 600).Select(i =>
            Task.Run(async () => await replicas[i % replicas.Length].AcquireAsync())));

        var granted = leases.Count(lease => lease.IsAcquired);
        // Never more than the limit; fewer by at most the blocks the other two replicas hold unused.
        Assert.InRange(granted, limit - 2 * replicas[0].BlockSize, limit);
        Assert.All(leases.Where(lease => !lease.IsAcquired), lease =>
            Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero && wait <= Minute));
    }

    [Fact]
    public async Task One_replica_under_a_burst_of_parallel_requests_passes_exactly_the_limit()
    {
        const int limit = 10;
        var replica = Replica(limit);

        var leases = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(async () => await replica.AcquireAsync())));

        Assert.Equal(limit, leases.Count(lease => lease.IsAcquired));
        Assert.Equal(limit, (long)await _redis.GetDatabase().StringGetAsync(_key));
    }

    [Fact]
    public async Task A_replica_goes_to_redis_once_a_block_not_once_a_request()
    {
        const int limit = 320;
        var replica = Replica(limit);
        Assert.Equal(10, replica.BlockSize);

        for (var i = 0; i < 25; i++) Assert.True((await replica.AcquireAsync()).IsAcquired);

        // 25 requests took three blocks of ten from the shared count.
        Assert.Equal(30, (long)await _redis.GetDatabase().StringGetAsync(_key));
    }

    [Fact]
    public async Task A_replica_holding_unused_permits_of_a_live_window_is_not_idle_so_its_block_is_not_dropped()
    {
        var window = TimeSpan.FromMilliseconds(500);
        var replica = Replica(320, window);

        Assert.True((await replica.AcquireAsync()).IsAcquired);
        Assert.Null(replica.IdleDuration);

        await Task.Delay(window + TimeSpan.FromMilliseconds(100));
        Assert.NotNull(replica.IdleDuration);
    }

    [Fact]
    public async Task A_small_limit_is_counted_one_by_one_and_refuses_with_the_time_left_in_the_window()
    {
        var first = Replica(5);
        var second = Replica(5);
        Assert.Equal(1, first.BlockSize);

        for (var i = 0; i < 3; i++) Assert.True((await first.AcquireAsync()).IsAcquired);
        for (var i = 0; i < 2; i++) Assert.True((await second.AcquireAsync()).IsAcquired);

        using var refused = await first.AcquireAsync();
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var wait));
        Assert.InRange(wait, TimeSpan.FromSeconds(50), Minute);
        Assert.False((await second.AcquireAsync()).IsAcquired);
        Assert.False(first.AttemptAcquire().IsAcquired);
        Assert.False((await first.AcquireAsync(permitCount: 0)).IsAcquired);
    }

    [Fact]
    public async Task Once_the_window_has_passed_the_key_is_allowed_again()
    {
        var window = TimeSpan.FromMilliseconds(500);
        var replica = Replica(2, window);
        Assert.True((await replica.AcquireAsync()).IsAcquired);
        Assert.True((await replica.AcquireAsync()).IsAcquired);
        Assert.False((await replica.AcquireAsync()).IsAcquired);

        await Task.Delay(window + TimeSpan.FromMilliseconds(200));

        Assert.True((await replica.AcquireAsync()).IsAcquired);
        Assert.Equal(1, (long)await _redis.GetDatabase().StringGetAsync(_key));
    }

    [Fact]
    public async Task Without_redis_and_without_reserved_permits_it_fails_closed()
    {
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(
            $"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=500,syncTimeout=500,asyncTimeout=500");
        var replica = new ReservingWindowRateLimiter(unreachable, _key, 300, Minute, TimeProvider.System);

        // Both the request that makes the round trip and one that waits for it get the store's failure, not a permit.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            await Record.ExceptionAsync(async () => await replica.AcquireAsync()))));

        Assert.All(attempts, exception => Assert.IsAssignableFrom<RedisException>(exception));
        Assert.False(replica.AttemptAcquire().IsAcquired);
    }
}
