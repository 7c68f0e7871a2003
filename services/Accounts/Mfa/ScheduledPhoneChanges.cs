using FlexWhere.Accounts.Data;

namespace FlexWhere.Accounts.Mfa;

/// <summary>Applies admins' number changes that waited their 24 hours without a second admin to
/// approve them (<see cref="PhoneChanges.RequestAsync"/>). Every replica runs it; each change is
/// applied once, by whichever replica wins its conditional update.</summary>
public sealed class ScheduledPhoneChanges(IServiceScopeFactory scopes, TimeProvider time, ILogger<ScheduledPhoneChanges> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var applied = await PhoneChanges.ApplyDueAsync(scope.ServiceProvider.GetRequiredService<AccountsDbContext>(), time, stoppingToken);
                if (applied > 0) logger.LogInformation("Applied {Count} scheduled phone number changes", applied);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The database may be down for a while; the next tick tries again.
                logger.LogWarning("Scheduled phone number changes not applied: {Reason}", exception.Message);
            }
        }
    }
}
