using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Exactly one SMS per SendSms, across redeliveries and replicas:
/// 1. a "sent" record per message id, checked before the send and written once the provider accepted;
/// 2. a short claim (SET NX with a TTL) taken before the send, so two replicas never send at once.
/// The window that remains: a replica that dies after the provider accepted but before the sent record
/// is written leaves only its claim, which expires; a later delivery then sends a second SMS. The
/// window is the few milliseconds between the provider's answer and one Redis write.
/// </summary>
public sealed class SmsIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options)
{
    // Deletes the claim only if this replica still holds it: an expired claim may belong to another.
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    // The sent record is checked and the claim taken in one round trip (they were two; under load
    // every round trip is paid by the eight messages in flight, see docs/benchmarks.md).
    private const string ClaimScript = """
        local sent = redis.call('GET', KEYS[1])
        if sent then return {'sent', sent} end
        if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return {'claimed', ARGV[1]} end
        return {'busy', ''}
        """;

    // The sent record, the provider id → challenge id mapping and the release of our own claim, in
    // one round trip and atomically (a transaction and a script before).
    private const string MarkSentScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
        return 1
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
            [NotifierKeys.Sent(messageId), NotifierKeys.Claim(messageId)],
            [token, (long)options.Value.ClaimTtl.TotalMilliseconds]))!;
        return (string?)result[0] switch
        {
            "sent" => new SmsClaim(AlreadySentAs: (string?)result[1], Token: null),
            "claimed" => new SmsClaim(AlreadySentAs: null, Token: token),
            _ => new SmsClaim(AlreadySentAs: null, Token: null),
        };
    }

    /// <summary>Records the accepted send (and the provider id → challenge id mapping for status
    /// callbacks) and lets our claim go.</summary>
    public Task MarkSentAsync(Guid messageId, string claimToken, string providerMessageId, string challengeId) =>
        Database.ScriptEvaluateAsync(MarkSentScript,
            [NotifierKeys.Sent(messageId), NotifierKeys.ProviderMessage(providerMessageId), NotifierKeys.Claim(messageId)],
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
/// (<see cref="AlreadySentAs"/>), or we hold it (<see cref="Token"/>), or another replica does (neither).</summary>
public readonly record struct SmsClaim(string? AlreadySentAs, string? Token);
