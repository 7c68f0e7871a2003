using Microsoft.AspNetCore.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Fail closed and say so: when a service's own dependency (database, Redis) does not answer, the
/// caller gets a 503 problem with <c>Retry-After</c> and a stable code instead of a 500. Each service
/// names the exceptions that mean "my dependency is down" and the words the caller reads.
/// </summary>
public abstract class DependencyUnavailableHandler(ILogger logger) : IExceptionHandler
{
    /// <summary>Long enough for a dropped connection or a failover to recover, short enough for a person at a sign-in page.</summary>
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(5);

    protected abstract string Dependency { get; }

    protected abstract string Title { get; }

    protected abstract string Detail { get; }

    protected abstract string Code { get; }

    protected abstract bool IsUnavailable(Exception exception);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception)) return false;

        logger.LogError(exception, "{Dependency} did not answer", Dependency);
        await new ApiProblem(StatusCodes.Status503ServiceUnavailable, Code, Title, Detail)
            .WithRetryAfter(DefaultRetryAfter)
            .WriteAsync(context, exception);
        return true;
    }
}
