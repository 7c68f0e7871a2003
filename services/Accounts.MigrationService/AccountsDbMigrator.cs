using System.Diagnostics;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlexWhere.Accounts.MigrationService;

/// <summary>Applies Accounts' migrations, then (Development only) the seed of docs/api.md.
/// Accounts waits for this service to be healthy, so it never meets an old schema.</summary>
public sealed class AccountsDbMigrator(
    IServiceProvider services, IHostEnvironment environment, IConfiguration configuration, IHostApplicationLifetime lifetime,
    ILogger<AccountsDbMigrator> logger) : BackgroundService
{
    /// <summary>True for a run-once job (the AppHost's resource and the Kubernetes Job in deploy/): the process exits
    /// when done, with 0 when the database is migrated and 1 when it is not. False: it stays up, healthy once migrated.</summary>
    public const string ExitWhenDoneSetting = "Migrations:ExitWhenDone";

    private static readonly ActivitySource Activity = new("FlexWhere");

    public Task Completion => completion.Task;

    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = Activity.StartActivity("Migrating the accounts database");
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();

            // The Npgsql retry strategy re-runs the whole migration when the server was briefly unreachable.
            var strategy = db.Database.CreateExecutionStrategy();
            await strategy.ExecuteAsync(() => db.Database.MigrateAsync(stoppingToken));
            logger.LogInformation("Accounts database migrated");

            if (environment.IsDevelopment())
            {
                await DevelopmentSeed.SeedAsync(db, scope.ServiceProvider.GetRequiredService<IPasswordHasher<User>>(), TimeProvider.System,
                    stoppingToken);
                logger.LogInformation("Development seed applied (organisation {Organisation})", DevelopmentSeed.OrganisationName);
            }

            completion.TrySetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Migrating the accounts database failed");
            completion.TrySetException(e);
        }

        if (configuration.GetValue<bool>(ExitWhenDoneSetting))
        {
            if (completion.Task.IsFaulted) Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}

/// <summary>Healthy once the migrations (and seed) are in; unhealthy if they failed.</summary>
public sealed class AccountsDbMigratorHealthCheck(AccountsDbMigrator migrator) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(migrator.Completion.Status switch
        {
            TaskStatus.RanToCompletion => HealthCheckResult.Healthy("Migrated"),
            TaskStatus.Faulted => HealthCheckResult.Unhealthy("Migration failed"),
            _ => HealthCheckResult.Unhealthy("Migrating"),
        });
}
