using FlexWhere.Challenges.Apis;
using FlexWhere.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexWhere.Challenges.UnitTests;

/// <summary>Redis not answering is a 503 <c>challenges_unavailable</c> with Retry-After, whatever the Redis client throws
/// (<see cref="StoreFailures"/>): a clean-clone run's Redis Cluster failover answered a create with 500 when a reset
/// connection was not counted.</summary>
public class StoreFailureTests() : StoreUnavailableHandlerTests(new StoreUnavailableHandler(NullLogger<StoreUnavailableHandler>.Instance),
    "challenges_unavailable");
