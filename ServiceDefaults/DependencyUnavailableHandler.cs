using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Fail closed and say so: when a service's own dependency (database, Redis) does not answer, the
/// caller gets a 503 problem with <c>Retry-After</c> and a stable code instead of a 500. Each service
/// names the exceptions that mean "my dependency is down" and the words the caller reads.
/// </summary>
public abstract class DependencyUnavailableHandler(IProblemDetailsService problems, ILogger logger) : IExceptionHandler
{
    protected abstract string Dependency { get; }

    protected abstract string Title { get; }

    protected abstract string Detail { get; }

    protected abstract string Code { get; }

    protected abstract bool IsUnavailable(Exception exception);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception)) return false;

        logger.LogError(exception, "{Dependency} did not answer", Dependency);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = Title,
                Detail = Detail,
                Extensions = { ["code"] = Code },
            },
        });
    }
}
