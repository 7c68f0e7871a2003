using System.Data.Common;

namespace FlexWhere.Accounts.Extensions;

/// <summary>Without PostgreSQL nobody signs in: 503 <c>accounts_unavailable</c>, not a 500 (the
/// reliability suite's R4 stops PostgreSQL during sign-in and checks this).</summary>
public sealed class DatabaseUnavailableHandler(ILogger<DatabaseUnavailableHandler> logger) : DependencyUnavailableHandler(logger,
    new("PostgreSQL", ProblemCodes.AccountsUnavailable, "Accounts unavailable",
        "Sign-in and accounts are unavailable just now. Try again in a moment."))
{
    protected override bool IsUnavailable(Exception exception) => IsDatabaseUnavailable(exception);

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
