namespace FlexWhere.Gateway;

/// <summary>
/// When Redis (which holds the rate limits) is down the Gateway fails closed: 503 with Retry-After,
/// not a 500 and not an unlimited pass.
/// </summary>
public sealed class RateLimitStoreUnavailableHandler(ILogger<RateLimitStoreUnavailableHandler> logger)
    : DependencyUnavailableHandler(logger, new("Redis (the rate-limit store)", ProblemCodes.ServiceUnavailable, "Service unavailable",
        "The service is briefly unavailable: try again in a few seconds."))
{
    // A connection that a dying Redis node resets can surface as the socket library's own exception, not a RedisException
    // (a Challenges request answered 500 that way in a failover test).
    protected override bool IsUnavailable(Exception exception) =>
        exception is RedisException or RedisTimeoutException or Pipelines.Sockets.Unofficial.ConnectionResetException;
}
