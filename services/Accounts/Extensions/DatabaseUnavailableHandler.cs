using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace FlexWhere.Accounts.Extensions;

/// <summary>
/// Fail closed and say so: without PostgreSQL nobody signs in, and the caller gets a 503 problem
/// (try again shortly) instead of a 500. Found by the reliability suite (R4: PostgreSQL stopped
/// during sign-in answered 500 internal_error).
/// </summary>
public sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception)) return false;

        logger.LogError(exception, "PostgreSQL did not answer");
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Accounts unavailable",
                Detail = "Sign-in and accounts are unavailable just now. Try again in a moment.",
                Extensions = { ["code"] = "accounts_unavailable" },
            },
        });
    }

    /// <summary>A database error anywhere in the chain (EF Core wraps Npgsql's), or a socket error under one.</summary>
    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException or System.Net.Sockets.SocketException or TimeoutException) return true;
        }

        return false;
    }
}
