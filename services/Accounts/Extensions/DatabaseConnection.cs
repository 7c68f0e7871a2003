using System.Data.Common;
using Npgsql;

namespace FlexWhere.Accounts.Extensions;

/// <summary>
/// Npgsql settings for Accounts' pooled connections, where the connection string does not set them itself.
/// <list type="bullet">
/// <item><b>Statements prepared automatically</b> (<c>Max Auto Prepare</c>): a sign-in runs the same twenty-odd EF Core
/// statements every time, and a prepared one is not parsed and planned again on that connection. EF Core names every
/// column, so a migration that adds a column does not change a prepared statement's result.</item>
/// <item><b>No reset when a connection goes back to the pool</b> (<c>No Reset On Close</c>): EF Core leaves no session state
/// behind (no <c>SET</c>, temporary tables or session-level advisory locks; the key ring's lock ends with its
/// transaction), so the <c>DISCARD ALL</c>-like reset the server ran on every reuse, 17 times a sign-in, bought nothing. Code
/// that sets session state on these connections must undo it itself: the next request that takes the connection would
/// inherit it.</item>
/// </list>
/// docs/benchmarks.md ("Fewer statements for PostgreSQL to plan") has the measurements.
/// </summary>
public static class DatabaseConnection
{
    public const int AutoPreparedStatements = 64;

    public static string? Tuned(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString)) return connectionString;
        // Npgsql's builder answers ContainsKey for every keyword it knows, set or not; the plain builder holds only what was written.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!written.Contains(nameof(builder.MaxAutoPrepare))) builder.MaxAutoPrepare = AutoPreparedStatements;
        if (!written.Contains(nameof(builder.NoResetOnClose))) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}
