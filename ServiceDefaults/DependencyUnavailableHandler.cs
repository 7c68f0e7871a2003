using Microsoft.AspNetCore.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Fail closed and say so: when a service's own dependency (database, Redis) does not answer, the
/// caller gets a 503 problem with <c>Retry-After</c> and a stable code instead of a 500. Each service
/// names the exceptions that mean "my dependency is down" and the words the caller reads.
/// </summary>
public abstract class DependencyUnavailableHandler(ILogger logger, DependencyUnavailableHandler.Answer answer) : IExceptionHandler
{
    /// <summary>Long enough for a dropped connection or a failover to recover, short enough for a person at a sign-in page.</summary>
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>The dependency as the log names it, and the problem's code, title and detail.</summary>
    public sealed record Answer(string Dependency, string Code, string Title, string Detail);

    protected abstract bool IsUnavailable(Exception exception);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception)) return false;

        logger.LogError(exception, "{Dependency} did not answer", answer.Dependency);
        await new ApiProblem(StatusCodes.Status503ServiceUnavailable, answer.Code, answer.Title, answer.Detail)
            .WithRetryAfter(DefaultRetryAfter)
            .WriteAsync(context, exception);
        return true;
    }
}
