using FlexWhere.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexWhere.Gateway.UnitTests;

/// <summary>The rate-limit store (Redis) not answering fails closed with 503 <c>service_unavailable</c> and Retry-After,
/// whatever the Redis client throws (<see cref="StoreFailures"/>).</summary>
public class RateLimitStoreFailureTests
{
    private static readonly RateLimitStoreUnavailableHandler Handler = new(NullLogger<RateLimitStoreUnavailableHandler>.Instance);

    public static TheoryData<Exception> Failures() => StoreFailures.FromTheRedisClient();

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_store_failure_fails_closed_with_503_and_retry_after(Exception failure) =>
        Assert.Equal((true, 503, true, "service_unavailable"), await StoreFailures.HandleAsync(Handler, failure));

    [Fact]
    public async Task Any_other_failure_is_left_to_the_general_handler() =>
        Assert.False((await StoreFailures.HandleAsync(Handler, new InvalidOperationException("a bug"))).Handled);
}
