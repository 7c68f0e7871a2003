using StackExchange.Redis;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Exactly one SMS per SendSms (and one e-mail per SendEmail: <see cref="EmailIdempotency"/>), across redeliveries and replicas:
/// 1. a "sent" record per message id, checked before the send and written once the provider accepted;
/// 2. a short claim (SET NX with a TTL) taken before the send, so two replicas never send at once;
/// 3. an attempt record, written with the claim, before the provider is called. A replica that dies
///    after the provider accepted but before the sent record is written leaves the attempt record
///    without a sent record: the next delivery asks the provider whether it already has the message
///    instead of sending a second SMS (the reliability suite's R1 kills the Notifier while it sends);
/// 4. a "gave-up" record, written only by the holder of the claim, so that a message is either given
///    up (and no copy of it is sent afterwards) or sent (and not given up), never both.
/// </summary>
public abstract class SendIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options, TimeProvider timeProvider,
    string channel)
{
    private static readonly TimeSpan ClaimPollInterval = TimeSpan.FromMilliseconds(250);

    // Deletes the claim only if this replica still holds it: an expired claim may belong to another.
    private const string ReleaseScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    // The sent record is checked and the claim taken in one round trip: under load every round trip
    // is paid by the eight messages in flight (docs/benchmarks.md).
    // A claim to send also notes the attempt (ARGV[4] = '1'); either says whether an earlier attempt left no outcome.
    private const string ClaimScript = """
        local sent = redis.call('GET', KEYS[1])
        if sent then return {'sent', sent} end
        if redis.call('EXISTS', KEYS[4]) == 1 then return {'gave-up', ''} end
        if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then
          local earlier = redis.call('EXISTS', KEYS[3])
          if ARGV[4] == '1' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
          return {'claimed', tostring(earlier)}
        end
        return {'busy', ''}
        """;

    // The sent record and the release of our own claim, in one round trip and atomically.
    private const string MarkSentScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('DEL', KEYS[3])
        if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
        return 1
        """;

    // Gives the message up unless it was sent meanwhile (then returns the provider's id instead), and
    // lets our claim go. Refused while another consumer holds the claim: it may be sending right now.
    private const string GiveUpScript = """
        local sent = redis.call('GET', KEYS[1])
        if sent then return {'sent', sent} end
        local holder = redis.call('GET', KEYS[3])
        if holder and holder ~= ARGV[2] then return {'busy', ''} end
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
        if holder then redis.call('DEL', KEYS[3]) end
        return {'gave-up', ''}
        """;

    protected IDatabase Database => redis.GetDatabase();

    /// <summary>Claims the message to send it, noting the attempt: already sent (the provider's id), given
    /// up, claimed by us (a token), or held by another consumer (none of these). One try.</summary>
    public string Channel => channel;

    public Task<SendClaim> ClaimAsync(Guid messageId) => TryClaimAsync(messageId, toSend: true);

    /// <summary>Claims the message to decide whether to give it up: as <see cref="ClaimAsync"/>, but notes
    /// no attempt, as nothing is sent. One try.</summary>
    public Task<SendClaim> ClaimToGiveUpAsync(Guid messageId) => TryClaimAsync(messageId, toSend: false);

    /// <summary>
    /// Claims the message (to send it, or to give it up), waiting while another consumer holds it: the
    /// result is sent, given up or claimed by us. <paramref name="onBusy"/> runs once if we have to wait.
    /// The wait ends when the other consumer's outcome is recorded or its claim expires.
    /// </summary>
    /// <exception cref="SendInProgressException">The message was held for longer than a claim lives.</exception>
    public async Task<SendClaim> ClaimWhenFreeAsync(Guid messageId, bool toSend, Action onBusy, CancellationToken cancellationToken)
    {
        var giveUpAt = timeProvider.GetUtcNow() + options.Value.ClaimTtl + ClaimPollInterval;
        var claim = await TryClaimAsync(messageId, toSend);
        if (claim.IsHeldElsewhere) onBusy();
        while (claim.IsHeldElsewhere)
        {
            if (timeProvider.GetUtcNow() > giveUpAt) throw new SendInProgressException(messageId, channel);
            await Task.Delay(ClaimPollInterval, timeProvider, cancellationToken);
            claim = await TryClaimAsync(messageId, toSend);
        }

        return claim;
    }

    private async Task<SendClaim> TryClaimAsync(Guid messageId, bool toSend)
    {
        var token = Guid.NewGuid().ToString("N");
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(ClaimScript,
            [NotifierKeys.Sent(messageId, channel), NotifierKeys.Claim(messageId, channel), NotifierKeys.Attempt(messageId, channel),
                NotifierKeys.GaveUp(messageId, channel)],
            [token, (long)options.Value.ClaimTtl.TotalMilliseconds, (long)options.Value.SentRecordTtl.TotalMilliseconds,
                toSend ? "1" : "0"]))!;
        return (string?)result[0] switch
        {
            "sent" => new SendClaim(AlreadySentAs: (string?)result[1], Token: null, HadEarlierAttempt: false),
            "gave-up" => new SendClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false, GaveUp: true),
            "claimed" => new SendClaim(AlreadySentAs: null, Token: token, HadEarlierAttempt: (string?)result[1] == "1"),
            _ => new SendClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false),
        };
    }

    /// <summary>
    /// Records, under our claim (<see cref="ClaimToGiveUpAsync"/>), that the message went to the error
    /// queue, so that a copy coming back is not sent, and lets the claim go. Null when done; the
    /// provider's id when the message was sent meanwhile (then it is no failure).
    /// </summary>
    /// <exception cref="SendInProgressException">Our claim expired and another consumer holds the message now.</exception>
    public async Task<string?> GiveUpAsync(Guid messageId, string claimToken)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(GiveUpScript,
            [NotifierKeys.Sent(messageId, channel), NotifierKeys.GaveUp(messageId, channel), NotifierKeys.Claim(messageId, channel)],
            [(long)options.Value.SentRecordTtl.TotalMilliseconds, claimToken]))!;
        return (string?)result[0] switch
        {
            "sent" => (string?)result[1],
            "busy" => throw new SendInProgressException(messageId, channel),
            _ => null,
        };
    }

    /// <summary>Records the accepted send, and before it with <paramref name="mapping"/> one more key (the SMS
    /// provider's id → its challenge), and lets our claim go.</summary>
    /// <remarks>The mapping is found by the provider's id alone, so on a Redis Cluster it cannot share the message's
    /// slot: it is its own write, first, so that a crash in between leaves a mapping without a sent record (the next
    /// delivery asks the provider), never a sent SMS whose status callbacks find no challenge.</remarks>
    protected async Task MarkSentAsync(Guid messageId, string claimToken, string providerMessageId, (string Key, string Value)? mapping)
    {
        var ttl = options.Value.SentRecordTtl;
        if (mapping is { } extra) await Database.StringSetAsync(extra.Key, extra.Value, ttl);
        await Database.ScriptEvaluateAsync(MarkSentScript,
            [NotifierKeys.Sent(messageId, channel), NotifierKeys.Claim(messageId, channel), NotifierKeys.Attempt(messageId, channel)],
            [providerMessageId, (long)ttl.TotalMilliseconds, claimToken]);
    }

    public Task ReleaseAsync(Guid messageId, string claimToken) =>
        Database.ScriptEvaluateAsync(ReleaseScript, [NotifierKeys.Claim(messageId, channel)], [claimToken]);
}

public sealed class SmsIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options, TimeProvider timeProvider)
    : SendIdempotency(redis, options, timeProvider, NotifierKeys.Sms)
{
    /// <summary>Records the accepted send and the provider id → challenge id mapping for status callbacks, and
    /// lets our claim go.</summary>
    public Task MarkSentAsync(Guid messageId, string claimToken, string providerMessageId, string challengeId) =>
        MarkSentAsync(messageId, claimToken, providerMessageId, (NotifierKeys.ProviderMessage(providerMessageId), challengeId));

    /// <summary>The challenge a provider message belongs to, for delivery callbacks.</summary>
    public async Task<string?> FindChallengeAsync(string providerMessageId)
    {
        var value = await Database.StringGetAsync(NotifierKeys.ProviderMessage(providerMessageId));
        return value.HasValue ? value.ToString() : null;
    }
}

/// <summary>One e-mail per SendEmail. SMTP has no way to ask whether a message arrived, so an attempt without
/// an outcome is sent again, with the same <c>Message-ID</c> (mailboxes that remove duplicates by that id, Gmail
/// among them, show it once). The window: from the server keeping the message, through its "250 OK", to the sent
/// record (one Redis write; the QUIT is not waited for). A connection lost after the end of DATA is retried too:
/// a second copy with the same id is better than a lost invitation. The attempt record says in the log when it
/// was hit.</summary>
public sealed class EmailIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options, TimeProvider timeProvider)
    : SendIdempotency(redis, options, timeProvider, NotifierKeys.Email)
{
    public Task MarkSentAsync(Guid messageId, string claimToken, string messageIdHeader) =>
        MarkSentAsync(messageId, claimToken, messageIdHeader, mapping: null);
}

/// <summary>Another replica held the message for longer than a claim lives; MassTransit's retry tries again.</summary>
public sealed class SendInProgressException(Guid messageId, string channel)
    : Exception($"{(channel == NotifierKeys.Sms ? "SMS" : "E-mail")} {messageId} is being sent by another consumer.");

/// <summary>What <see cref="SendIdempotency.ClaimAsync"/> found: the message was already sent
/// (<see cref="AlreadySentAs"/>), or given up (<see cref="GaveUp"/>: in the error queue with an SmsFailed),
/// or we hold it (<see cref="Token"/>; <see cref="HadEarlierAttempt"/> when an attempt before ours left
/// no outcome), or another replica does (none of these).</summary>
public readonly record struct SendClaim(string? AlreadySentAs, string? Token, bool HadEarlierAttempt, bool GaveUp = false)
{
    /// <summary>Another consumer holds the message: it is neither sent, nor given up, nor ours.</summary>
    public bool IsHeldElsewhere => AlreadySentAs is null && !GaveUp && Token is null;
}
