using FlexWhere.Challenges.Apis;
using FlexWhere.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexWhere.Challenges.UnitTests;

/// <summary>Redis not answering is a 503 <c>challenges_unavailable</c> with Retry-After, whatever the Redis client throws
/// (<see cref="StoreFailures"/>): a clean-clone run's Redis Cluster failover answered a create with 500 when a reset
/// connection was not counted.</summary>
public class StoreFailureTests
{
    private static readonly StoreUnavailableHandler Handler = new(NullLogger<StoreUnavailableHandler>.Instance);

    public static TheoryData<Exception> Failures() => StoreFailures.FromTheRedisClient();

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_store_failure_is_answered_503_challenges_unavailable_with_retry_after(Exception failure) =>
        Assert.Equal((true, 503, true, "challenges_unavailable"), await StoreFailures.HandleAsync(Handler, failure));

    [Fact]
    public async Task Any_other_failure_is_left_to_the_general_handler() =>
        Assert.False((await StoreFailures.HandleAsync(Handler, new InvalidOperationException("a bug"))).Handled);
}
