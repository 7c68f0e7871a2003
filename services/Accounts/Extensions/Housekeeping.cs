namespace FlexWhere.Accounts.Data;

/// <summary>Once a minute: applies admins' number changes that waited their 24 hours without a second
/// admin (<see cref="PhoneChanges.RequestAsync"/>), and drops wrong-password counters whose window is
/// over (every address ever tried, known or not, leaves one), and passkey prompts an hour after they ended. Every replica runs it; each change is
/// applied once, by whichever replica wins its conditional update.</summary>
public sealed class Housekeeping(IServiceScopeFactory scopes, TimeProvider time, IOptions<PasswordSignInOptions> signIn,
    ILogger<Housekeeping> logger)
    : BackgroundService
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
                var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
                var applied = await PhoneChanges.ApplyDueAsync(db, scope.ServiceProvider.GetRequiredService<AuditLog>(),
                    scope.ServiceProvider.GetRequiredService<SecurityNotices>(), time,
                    stoppingToken);
                if (applied > 0) logger.LogInformation("Applied {Count} scheduled phone number changes", applied);
                await SignInThrottles.PruneAsync(db, time.GetUtcNow(), signIn.Value, stoppingToken);
                // Passkey prompts anyone may ask for (passwordless): an hour after they ended they are of no use, not even to read.
                var ended = time.GetUtcNow().AddHours(-1);
                await db.WebAuthnCeremonies.Where(c => c.ExpiresAt < ended).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The database may be down for a while; the next tick tries again.
                logger.LogWarning("Housekeeping skipped a round: {Reason}", exception.Message);
            }
        }
    }
}
