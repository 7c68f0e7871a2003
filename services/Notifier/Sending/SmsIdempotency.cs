using StackExchange.Redis;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Exactly one SMS per SendSms, across redeliveries and replicas:
/// 1. a "sent" record per message id, checked before the send and written once the provider accepted;
/// 2. a short claim (SET NX with a TTL) taken before the send, so two replicas never send at once;
/// 3. an attempt record, written with the claim, before the provider is called. A replica that dies
///    after the provider accepted but before the sent record is written leaves the attempt record
///    without a sent record: the next delivery asks the provider whether it already has the message
///    instead of sending a second SMS (the reliability suite's R1 kills the Notifier while it sends).
/// </summary>
public sealed class SmsIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options)
{
    // Deletes the claim only if this replica still holds it: an expired claim may belong to another.
    private const string ReleaseScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    // The sent record is checked and the claim taken in one round trip: under load every round trip
    // is paid by the eight messages in flight (docs/benchmarks.md).
    // The claim also notes the attempt (and says whether an earlier one left no outcome).
    private const string ClaimScript = """
        local sent = redis.call('GET', KEYS[1])
        if sent then return {'sent', sent} end
        if redis.call('EXISTS', KEYS[4]) == 1 then return {'gave-up', ''} end
        if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then
          local earlier = redis.call('EXISTS', KEYS[3])
          redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
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

    // Gives the message up unless it was sent meanwhile (then returns the provider's id instead).
    private const string GiveUpScript = """
        local sent = redis.call('GET', KEYS[1])
        if sent then return sent end
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
        return false
        """;

    private IDatabase Database => redis.GetDatabase();

    /// <summary>The provider message id when this message was already accepted by the provider.</summary>
    public async Task<string?> FindSentAsync(Guid messageId)
    {
        var value = await Database.StringGetAsync(NotifierKeys.Sent(messageId));
        return value.HasValue ? value.ToString() : null;
    }

    /// <summary>Already sent (the provider's id), claimed by us (a token), or held by another replica (neither).</summary>
    public async Task<SmsClaim> ClaimAsync(Guid messageId)
    {
        var token = Guid.NewGuid().ToString("N");
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(ClaimScript,
            [NotifierKeys.Sent(messageId), NotifierKeys.Claim(messageId), NotifierKeys.Attempt(messageId), NotifierKeys.GaveUp(messageId)],
            [token, (long)options.Value.ClaimTtl.TotalMilliseconds, (long)options.Value.SentRecordTtl.TotalMilliseconds]))!;
        return (string?)result[0] switch
        {
            "sent" => new SmsClaim(AlreadySentAs: (string?)result[1], Token: null, HadEarlierAttempt: false),
            "gave-up" => new SmsClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false, GaveUp: true),
            "claimed" => new SmsClaim(AlreadySentAs: null, Token: token, HadEarlierAttempt: (string?)result[1] == "1"),
            _ => new SmsClaim(AlreadySentAs: null, Token: null, HadEarlierAttempt: false),
        };
    }

    /// <summary>Records that the message went to the error queue, so that a copy coming back is not
    /// sent; null when done, the provider's id when the message was sent meanwhile (then it is no failure).</summary>
    public async Task<string?> GiveUpAsync(Guid messageId)
    {
        var result = await Database.ScriptEvaluateAsync(GiveUpScript,
            [NotifierKeys.Sent(messageId), NotifierKeys.GaveUp(messageId)], [(long)options.Value.SentRecordTtl.TotalMilliseconds]);
        return result.IsNull ? null : (string?)result;
    }

    /// <summary>True when an earlier attempt reached (or may have reached) the provider without a recorded outcome.</summary>
    public Task<bool> HadAttemptAsync(Guid messageId) => Database.KeyExistsAsync(NotifierKeys.Attempt(messageId));

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
public readonly record struct SmsClaim(string? AlreadySentAs, string? Token, bool HadEarlierAttempt, bool GaveUp = false);
