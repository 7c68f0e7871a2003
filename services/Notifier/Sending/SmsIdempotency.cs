using StackExchange.Redis;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Exactly one SMS per SendSms, across redeliveries and replicas:
/// 1. a "sent" record per message id, checked before the send and written once the provider accepted;
/// 2. a short claim (SET NX with a TTL) taken before the send, so two replicas never send at once;
/// 3. an attempt record, written with the claim, before the provider is called. A replica that dies
///    after the provider accepted but before the sent record is written leaves the attempt record
///    without a sent record: the next delivery asks the provider whether it already has the message
///    instead of sending a second SMS (the reliability suite's R1 kills the Notifier while it sends);
/// 4. a "gave-up" record, written only by the holder of the claim, so that a message is either given
///    up (and no copy of it is sent afterwards) or sent (and not given up), never both.
/// </summary>
public sealed class SmsIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options, TimeProvider timeProvider)
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

    // The sent record, the provider id → challenge id mapping and the release of our own claim, in
    // one round trip and atomically (a transaction and a script before).
    private const string MarkSentScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        redis.call('DEL', KEYS[4])
        if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
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

    private IDatabase Database => redis.GetDatabase();

    /// <summary>Claims the message to send it, noting the attempt: already sent (the provider's id), given
    /// up, claimed by us (a token), or held by another consumer (none of these). One try.</summary>
    public Task<SmsClaim> ClaimAsync(Guid messageId) => TryClaimAsync(messageId, toSend: true);

    /// <summary>Claims the message to decide whether to give it up: as <see cref="ClaimAsync"/>, but notes
    /// no attempt, as nothing is sent. One try.</summary>
    public Task<SmsClaim> ClaimToGiveUpAsync(Guid messageId) => TryClaimAsync(messageId, toSend: false);

    /// <summary>
    /// Claims the message (to send it, or to give it up), waiting while another consumer holds it: the
    /// result is sent, given up or claimed by us. <paramref name="onBusy"/> runs once if we have to wait.
    /// The wait ends when the other consumer's outcome is recorded or its claim expires.
    /// </summary>
    /// <exception cref="SmsSendInProgressException">The message was held for longer than a claim lives.</exception>
    public async Task<SmsClaim> ClaimWhenFreeAsync(Guid messageId, bool toSend, Action onBusy, CancellationToken cancellationToken)
    {
        var giveUpAt = timeProvider.GetUtcNow() + options.Value.ClaimTtl + ClaimPollInterval;
        var claim = await TryClaimAsync(messageId, toSend);
        if (claim.IsHeldElsewhere) onBusy();
        while (claim.IsHeldElsewhere)
        {
            if (timeProvider.GetUtcNow() > giveUpAt) throw new SmsSendInProgressException(messageId);
            await Task.Delay(ClaimPollInterval, timeProvider, cancellationToken);
            claim = await TryClaimAsync(messageId, toSend);
        }

        return claim;
    }

    private async Task<SmsClaim> TryClaimAsync(Guid messageId, bool toSend)
    {
        var token = Guid.NewGuid().ToString("N");
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(ClaimScript,
            [NotifierKeys.Sent(messageId), NotifierKeys.Claim(messageId), NotifierKeys.Attempt(messageId), NotifierKeys.GaveUp(messageId)],
            [token, (long)options.Value.ClaimTtl.TotalMilliseconds, (long)options.Value.SentRecordTtl.TotalMilliseconds,
                toSend ? "1" : "0"]))!;
        return (string?)result[0] switch
        {
            "sent" => new SmsClaim(AlreadySentAs: (string?)result[1], Token: null, HadEarlierAttempt: false),
            "gave-up" => new SmsClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false, GaveUp: true),
            "claimed" => new SmsClaim(AlreadySentAs: null, Token: token, HadEarlierAttempt: (string?)result[1] == "1"),
            _ => new SmsClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false),
        };
    }

    /// <summary>
    /// Records, under our claim (<see cref="ClaimToGiveUpAsync"/>), that the message went to the error
    /// queue, so that a copy coming back is not sent, and lets the claim go. Null when done; the
    /// provider's id when the message was sent meanwhile (then it is no failure).
    /// </summary>
    /// <exception cref="SmsSendInProgressException">Our claim expired and another consumer holds the message now.</exception>
    public async Task<string?> GiveUpAsync(Guid messageId, string claimToken)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(GiveUpScript,
            [NotifierKeys.Sent(messageId), NotifierKeys.GaveUp(messageId), NotifierKeys.Claim(messageId)],
            [(long)options.Value.SentRecordTtl.TotalMilliseconds, claimToken]))!;
        return (string?)result[0] switch
        {
            "sent" => (string?)result[1],
            "busy" => throw new SmsSendInProgressException(messageId),
            _ => null,
        };
    }

    /// <summary>Records the accepted send (and the provider id → challenge id mapping for status
    /// callbacks) and lets our claim go.</summary>
    public Task MarkSentAsync(Guid messageId, string claimToken, string providerMessageId, string challengeId) =>
        Database.ScriptEvaluateAsync(MarkSentScript,
            [NotifierKeys.Sent(messageId), NotifierKeys.ProviderMessage(providerMessageId), NotifierKeys.Claim(messageId),
                NotifierKeys.Attempt(messageId)],
            [providerMessageId, challengeId, (long)options.Value.SentRecordTtl.TotalMilliseconds, claimToken]);

    public Task ReleaseAsync(Guid messageId, string claimToken) =>
        Database.ScriptEvaluateAsync(ReleaseScript, [NotifierKeys.Claim(messageId)], [claimToken]);

    /// <summary>The challenge a provider message belongs to, for delivery callbacks.</summary>
    public async Task<string?> FindChallengeAsync(string providerMessageId)
    {
        var value = await Database.StringGetAsync(NotifierKeys.ProviderMessage(providerMessageId));
        return value.HasValue ? value.ToString() : null;
    }
}

/// <summary>What <see cref="SmsIdempotency.ClaimAsync"/> found: the message was already sent
/// (<see cref="AlreadySentAs"/>), or given up (<see cref="GaveUp"/>: in the error queue with an SmsFailed),
/// or we hold it (<see cref="Token"/>; <see cref="HadEarlierAttempt"/> when an attempt before ours left
/// no outcome), or another replica does (none of these).</summary>
public readonly record struct SmsClaim(string? AlreadySentAs, string? Token, bool HadEarlierAttempt, bool GaveUp = false)
{
    /// <summary>Another consumer holds the message: it is neither sent, nor given up, nor ours.</summary>
    public bool IsHeldElsewhere => AlreadySentAs is null && !GaveUp && Token is null;
}
