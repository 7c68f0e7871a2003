using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.MigrationService;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Identity;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.RequireConnectionString(AccountsDbContext.ConnectionName, "an Npgsql connection string of the accounts database");
builder.AddNpgsqlDbContext<AccountsDbContext>(AccountsDbContext.ConnectionName, settings => settings.DisableHealthChecks = true);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
builder.Services.AddSingleton<AccountsDbMigrator>();
builder.Services.AddHostedService(services => services.GetRequiredService<AccountsDbMigrator>());
builder.Services.AddHealthChecks().AddCheck<AccountsDbMigratorHealthCheck>("migrations");

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
