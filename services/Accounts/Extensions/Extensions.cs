using FlexWhere.Accounts.Data;

public static class Extensions
{
    public const string DatabaseConnectionName = "accountsdb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Also registers the DbContext readiness check, tracing and retries on transient Npgsql errors.
        builder.AddNpgsqlDbContext<AccountsDbContext>(DatabaseConnectionName);
        builder.Services.AddOpenApi();
    }
}
