using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Identity;

namespace FlexWhere.Accounts.MigrationService;

// Not top-level statements: Accounts (referenced for its DbContext) already has the global Program.
public static class MigrationProgram
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        builder.AddServiceDefaults();
        builder.RequireConnectionString(global::Extensions.DatabaseConnectionName, "an Npgsql connection string of the accounts database");
        builder.AddNpgsqlDbContext<AccountsDbContext>(global::Extensions.DatabaseConnectionName, settings => settings.DisableHealthChecks = true);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton<AccountsDbMigrator>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AccountsDbMigrator>());
        builder.Services.AddHealthChecks().AddCheck<AccountsDbMigratorHealthCheck>("migrations");

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.Run();
    }
}
