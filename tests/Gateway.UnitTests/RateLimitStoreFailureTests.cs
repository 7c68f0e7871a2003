using FlexWhere.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexWhere.Gateway.UnitTests;

/// <summary>The rate-limit store (Redis) not answering fails closed with 503 <c>service_unavailable</c> and Retry-After,
/// whatever the Redis client throws (<see cref="StoreFailures"/>).</summary>
public class RateLimitStoreFailureTests() : StoreUnavailableHandlerTests(
    new RateLimitStoreUnavailableHandler(NullLogger<RateLimitStoreUnavailableHandler>.Instance), "service_unavailable");
