using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace FlexWhere.Challenges.Apis;

/// <summary>Fail closed: without Redis no code is issued or accepted, and the caller gets a 503
/// problem rather than a 500.</summary>
public sealed class StoreUnavailableHandler(IProblemDetailsService problems, ILogger<StoreUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (RedisException or RedisTimeoutException or RedisConnectionException)) return false;

        logger.LogError(exception, "Redis did not answer");
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Codes unavailable",
                Detail = "Codes cannot be issued or checked just now. Try again in a moment.",
                Extensions = { ["code"] = "challenges_unavailable" },
            },
        });
    }
}
