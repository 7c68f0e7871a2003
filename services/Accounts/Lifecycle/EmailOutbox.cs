using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.DataProtection;

namespace FlexWhere.Accounts.Lifecycle;

/// <summary>
/// Accounts' transactional outbox for e-mail: <see cref="Add"/> puts a <see cref="SendEmail"/> into the
/// caller's unit of work (saved with the invitation or reset link it carries), and
/// <see cref="OutboxDispatcher"/> publishes it to RabbitMQ after the commit. At least once: a replica that
/// dies between the publish and the delete publishes it again, and the Notifier sends one e-mail per
/// message id.
/// </summary>
public sealed class EmailOutbox(IDataProtectionProvider protection, OutboxSignal signal)
{
    private const string Purpose = "FlexWhere.Accounts.Outbox";

    private IDataProtector Protector => protection.CreateProtector(Purpose);

    /// <summary>Adds the message to <paramref name="db"/>; it goes out once the caller saves.</summary>
    public void Add(AccountsDbContext db, SendEmail email, DateTimeOffset now)
    {
        db.Outbox.Add(new OutboxMessage
        {
            Id = Guid.CreateVersion7(now),
            Kind = nameof(SendEmail),
            ProtectedPayload = Protector.Protect(JsonSerializer.Serialize(email)),
            CreatedAt = now,
            NextAttemptAt = now,
        });
        // After the commit: woken before it, the dispatcher would find nothing and sleep its round out.
        db.SavedChanges += (_, _) => signal.Pending();
    }

    internal SendEmail Read(OutboxMessage message) =>
        JsonSerializer.Deserialize<SendEmail>(Protector.Unprotect(message.ProtectedPayload))
            ?? throw new InvalidOperationException($"Outbox message {message.Id} is empty.");
}

/// <summary>Wakes the dispatcher when a message was added, so an e-mail does not wait for the next round.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    public void Pending()
    {
        if (_pending.CurrentCount == 0)
        {
            try
            {
                _pending.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another request signalled just now: one wake-up is enough.
            }
        }
    }

    /// <summary>Waits for a signal or <paramref name="timeout"/> (real time: the dispatcher must run under a test's fake
    /// clock too).</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// Publishes what <see cref="EmailOutbox"/> holds. Each round leases a batch of due rows in one statement
/// (<c>FOR UPDATE SKIP LOCKED</c>, then the rows' next attempt moved past the lease), so replicas share the
/// work and no lock is held while RabbitMQ is asked; a row is deleted once RabbitMQ confirmed it (within
/// <see cref="PublishTimeout"/>). A failed publish (the broker is away) is tried again with a growing wait,
/// up to <see cref="MaxWait"/>; the rows wait in PostgreSQL meanwhile, so nothing is lost while RabbitMQ is away.
/// </summary>
public sealed class OutboxDispatcher(IServiceScopeFactory scopes, EmailOutbox outbox, OutboxSignal signal, TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);
    private const int BatchSize = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await PublishDueAsync(stoppingToken) == BatchSize)
                {
                    // A full batch went out: there may be more right away.
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning("The outbox skipped a round: {Reason}", exception.Message);
            }

            try
            {
                await signal.WaitAsync(Idle, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round: leases due rows, publishes them, deletes the confirmed ones; returns how many went out.</summary>
    public async Task<int> PublishDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var now = time.GetUtcNow();
        var leasedUntil = now + Lease;
        var due = await db.Outbox.FromSql($"""
            UPDATE outbox SET "NextAttemptAt" = {leasedUntil}
            WHERE "Id" IN (SELECT "Id" FROM outbox WHERE "NextAttemptAt" <= {now} ORDER BY "NextAttemptAt" LIMIT {BatchSize}
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).AsNoTracking().ToListAsync(cancellationToken);

        var published = new List<Guid>();
        foreach (var message in due.OrderBy(message => message.CreatedAt))
        {
            try
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(PublishTimeout);
                await publish.Publish(outbox.Read(message), bounded.Token);
                published.Add(message.Id);
            }
            catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var attempts = message.Attempts + 1;
                var wait = TimeSpan.FromSeconds(Math.Min(MaxWait.TotalSeconds, Math.Pow(2, attempts)));
                logger.LogWarning("Outbox message {MessageId} ({Kind}) not published (attempt {Attempt}): {Reason}; next try in {Wait}",
                    message.Id, message.Kind, attempts, failure.Message, wait);
                await db.Outbox.Where(m => m.Id == message.Id).ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Attempts, attempts).SetProperty(m => m.NextAttemptAt, now + wait), CancellationToken.None);
                // The broker is likely away: the rest of the batch goes back for the next round instead of timing out too.
                var rest = due.Where(other => other.Id != message.Id && !published.Contains(other.Id)).Select(other => other.Id).ToList();
                await db.Outbox.Where(m => rest.Contains(m.Id))
                    .ExecuteUpdateAsync(set => set.SetProperty(m => m.NextAttemptAt, now + wait), CancellationToken.None);
                break;
            }
        }

        if (published.Count > 0) await db.Outbox.Where(m => published.Contains(m.Id)).ExecuteDeleteAsync(CancellationToken.None);
        return published.Count;
    }
}
