using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace FlexWhere.Gateway;

/// <summary>
/// When Redis (which holds the rate limits) is down the Gateway fails closed: 503 with Retry-After,
/// not a 500 and not an unlimited pass.
/// </summary>
internal sealed class DependencyExceptionHandler(ILogger<DependencyExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (RedisException or RedisTimeoutException)) return false;

        logger.LogWarning("Refused {Path}: the rate-limit store is unavailable ({Error})", context.Request.Path, exception.GetType().Name);
        context.Response.Headers.RetryAfter = "5";
        await GatewayProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
            "The service is briefly unavailable: try again in a few seconds.", "service_unavailable");
        return true;
    }
}
