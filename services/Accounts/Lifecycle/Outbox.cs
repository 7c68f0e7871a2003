using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.DataProtection;

namespace FlexWhere.Accounts.Lifecycle;

/// <summary>
/// Accounts' transactional outbox: <see cref="Add"/> puts a <see cref="SendEmail"/> into the caller's unit of work
/// (saved with the invitation or reset link it carries), <see cref="AddSmsNotice"/> a text without a code for
/// Challenges to send (to an old number, say), and <see cref="OutboxDispatcher"/> hands them on after the commit.
/// At least once: a replica that dies between the hand-over and the delete hands it on again, and the Notifier
/// sends one e-mail or SMS per message id. Payloads carry links and numbers, so they are encrypted at rest.
/// </summary>
public sealed class Outbox(IDataProtectionProvider protection, OutboxSignal signal)
{
    private const string Purpose = "FlexWhere.Accounts.Outbox";

    public const string EmailKind = nameof(SendEmail);

    public const string SmsNoticeKind = "SmsNotice";

    private IDataProtector Protector => protection.CreateProtector(Purpose);

    /// <summary>Adds the e-mail to <paramref name="db"/>; it goes out once the caller saves.</summary>
    public void Add(AccountsDbContext db, SendEmail email, DateTimeOffset now) => Add(db, EmailKind, email, now);

    /// <summary>Adds a notice for Challenges to text; its <see cref="NoticeRequest.NoticeId"/> is the outbox row's id, so a
    /// hand-over repeated after a crash sends one SMS.</summary>
    public void AddSmsNotice(AccountsDbContext db, Guid organisationId, Guid userId, string to, string kind, DateTimeOffset effectiveAt,
        string locale, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7(now);
        Add(db, SmsNoticeKind, new NoticeRequest(organisationId, userId, to, kind, effectiveAt, locale) { NoticeId = id }, now, id);
    }

    private void Add<T>(AccountsDbContext db, string kind, T payload, DateTimeOffset now, Guid? id = null)
    {
        db.Outbox.Add(new OutboxMessage
        {
            Id = id ?? Guid.CreateVersion7(now),
            Kind = kind,
            ProtectedPayload = Protector.Protect(JsonSerializer.Serialize(payload)),
            CreatedAt = now,
            NextAttemptAt = now,
        });
        // After the commit: woken before it, the dispatcher would find nothing and sleep its round out.
        db.SavedChanges += (_, _) => signal.Pending();
    }

    internal T Read<T>(OutboxMessage message) =>
        JsonSerializer.Deserialize<T>(Protector.Unprotect(message.ProtectedPayload))
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
/// Hands on what <see cref="Outbox"/> holds: e-mails to RabbitMQ, SMS notices to Challenges. Each round leases a batch of due rows in one statement
/// (<c>FOR UPDATE SKIP LOCKED</c>, then the rows' next attempt moved past the lease), so replicas share the
/// work and no lock is held while RabbitMQ is asked; a row is deleted once RabbitMQ confirmed it (within
/// <see cref="PublishTimeout"/>). A failed hand-over is tried again with a growing wait (<see cref="RetryWait"/>); the
/// rows wait in PostgreSQL meanwhile, so nothing is lost while RabbitMQ or Challenges is away.
/// </summary>
public sealed class OutboxDispatcher(IServiceScopeFactory scopes, Outbox outbox, OutboxSignal signal, TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    /// <summary>An e-mail's publish fails only while the broker is away, and its retry costs a round trip: it waits at most
    /// this long, so it goes out within seconds of the broker's return. With 5 minutes, as a notice has, an invitation or
    /// password link queued during an outage of a few minutes could wait up to 5 more after the broker was back.</summary>
    private static readonly TimeSpan MaxEmailWait = TimeSpan.FromSeconds(15);

    /// <summary>A notice Challenges refused for a full budget or its limits: those last minutes to hours.</summary>
    private static readonly TimeSpan MaxNoticeWait = TimeSpan.FromMinutes(5);
    private const int BatchSize = 20;

    /// <summary>A notice about a change is worth sending within a day of it; after that the user has heard by e-mail.</summary>
    private static readonly TimeSpan NoticeFreshness = TimeSpan.FromDays(1);

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
                if (message.Kind == Outbox.SmsNoticeKind)
                {
                    await HandOnNoticeAsync(scope.ServiceProvider.GetRequiredService<ChallengesClient>(), message, now, bounded.Token);
                }
                else
                {
                    // WaitAsync: the bound holds even when a publish ignores its token (BoundedPublish in the Notifier).
                    await publish.Publish(outbox.Read<SendEmail>(message), bounded.Token).WaitAsync(PublishTimeout, cancellationToken);
                }

                published.Add(message.Id);
            }
            catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var attempts = message.Attempts + 1;
                var wait = RetryWait(message.Kind, attempts);
                logger.LogWarning("Outbox message {MessageId} ({Kind}) not published (attempt {Attempt}): {Reason}; next try in {Wait}",
                    message.Id, message.Kind, attempts, failure.Message, wait);
                await db.Outbox.Where(m => m.Id == message.Id).ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.Attempts, attempts).SetProperty(m => m.NextAttemptAt, now + wait), CancellationToken.None);
                if (message.Kind == Outbox.SmsNoticeKind) continue;
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

    /// <summary>How long a message waits after its <paramref name="attempts"/>th failed hand-over: 2, 4, 8 … s, at most
    /// <see cref="MaxEmailWait"/> for an e-mail and <see cref="MaxNoticeWait"/> for a notice.</summary>
    public static TimeSpan RetryWait(string kind, int attempts)
    {
        var most = kind == Outbox.SmsNoticeKind ? MaxNoticeWait : MaxEmailWait;
        return TimeSpan.FromSeconds(Math.Min(most.TotalSeconds, Math.Pow(2, Math.Min(attempts, 30))));
    }

    /// <summary>Asks Challenges to text the notice. A refusal that waiting cannot change (the number's country no longer allowed,
    /// a notice too old to matter) ends it; Challenges being away or a full budget keeps it for the next round.</summary>
    private async Task HandOnNoticeAsync(ChallengesClient challenges, OutboxMessage message, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var notice = outbox.Read<NoticeRequest>(message);
        if (now - message.CreatedAt > NoticeFreshness)
        {
            logger.LogWarning("Outbox notice {MessageId} ({Kind}) dropped: not handed on within {Freshness}", message.Id, notice.Kind,
                NoticeFreshness);
            return;
        }

        var (_, failure) = await challenges.SendNoticeAsync(notice, cancellationToken);
        if (failure is null) return;
        if (failure.Refusal is null || failure.Is(ChallengeRefusalCode.RateLimited) || failure.Is(ChallengeRefusalCode.SmsBudgetExhausted)
            || failure.Is(ChallengeRefusalCode.SmsNotSent) || failure.Is(ChallengeRefusalCode.Unavailable))
        {
            throw new InvalidOperationException($"Challenges did not take the notice: {failure.Code}");
        }

        logger.LogWarning("Outbox notice {MessageId} ({Kind}) refused by Challenges for good: {Code}", message.Id, notice.Kind,
            failure.Code);
    }
}
