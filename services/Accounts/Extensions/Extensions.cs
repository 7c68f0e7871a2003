using FlexWhere.Accounts.Data;
using Microsoft.EntityFrameworkCore;

public static class Extensions
{
    public const string DatabaseConnectionName = "accountsdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.RequireConnectionString(DatabaseConnectionName, "an Npgsql connection string (Host=…;Port=…;Username=…;Password=…;Database=accounts)");

        // Tracing and retries on transient Npgsql errors come with the integration. Its health check
        // would retry too, and a readiness probe must answer within seconds, so ours opens one
        // connection without the retrying execution strategy.
        builder.AddNpgsqlDbContext<AccountsDbContext>(DatabaseConnectionName, settings => settings.DisableHealthChecks = true);
        builder.Services.AddHealthChecks().AddDbContextCheck<AccountsDbContext>(
            nameof(AccountsDbContext),
            customTestQuery: async (db, cancellationToken) =>
            {
                var connection = db.Database.GetDbConnection();
                await connection.OpenAsync(cancellationToken);
                await connection.CloseAsync();
                return true;
            });

        builder.AddDefaultOpenApi();
    }
}
