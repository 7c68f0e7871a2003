using FlexWhere.RedisStore;

namespace FlexWhere.Gateway;

/// <summary>
/// When Redis (which holds the rate limits) is down the Gateway fails closed: 503 with Retry-After,
/// not a 500 and not an unlimited pass.
/// </summary>
public sealed class RateLimitStoreUnavailableHandler(ILogger<RateLimitStoreUnavailableHandler> logger)
    : DependencyUnavailableHandler(logger, new("Redis (the rate-limit store)", ProblemCodes.ServiceUnavailable, "Service unavailable",
        "The service is briefly unavailable: try again in a few seconds."))
{
    protected override bool IsUnavailable(Exception exception) => StoreFailure.Is(exception);
}
