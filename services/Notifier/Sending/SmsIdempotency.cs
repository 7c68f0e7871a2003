using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Exactly one SMS per SendSms, across redeliveries and replicas:
/// 1. a "sent" record per message id, checked before the send and written once the provider accepted;
/// 2. a short claim (SET NX with a TTL) taken before the send, so two replicas never send at once;
/// 3. an attempt record written before the provider is called. A replica that dies after the provider
///    accepted but before the sent record is written leaves the attempt record without a sent record:
///    the next delivery asks the provider whether it already has the message instead of sending a
///    second SMS (found by the reliability suite, R1, killing the Notifier while it sends).
/// </summary>
public sealed class SmsIdempotency(IConnectionMultiplexer redis, IOptions<SendingOptions> options)
{
    // Deletes the claim only if this replica still holds it: an expired claim may belong to another.
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    private IDatabase Database => redis.GetDatabase();

    /// <summary>The provider message id when this message was already accepted by the provider.</summary>
    public async Task<string?> FindSentAsync(Guid messageId)
    {
        var value = await Database.StringGetAsync(NotifierKeys.Sent(messageId));
        return value.HasValue ? value.ToString() : null;
    }

    /// <summary>Notes that the provider is about to be called for this message (kept as long as the sent record).</summary>
    public Task RecordAttemptAsync(Guid messageId) =>
        Database.StringSetAsync(NotifierKeys.Attempt(messageId), "1", options.Value.SentRecordTtl);

    /// <summary>True when an earlier attempt reached (or may have reached) the provider without a recorded outcome.</summary>
    public Task<bool> HadAttemptAsync(Guid messageId) => Database.KeyExistsAsync(NotifierKeys.Attempt(messageId));

    /// <summary>A claim token, or null when another replica holds the message.</summary>
    public async Task<string?> TryClaimAsync(Guid messageId)
    {
        var token = Guid.NewGuid().ToString("N");
        var claimed = await Database.StringSetAsync(NotifierKeys.Claim(messageId), token, options.Value.ClaimTtl, When.NotExists);
        return claimed ? token : null;
    }

    /// <summary>Records the accepted send (and the provider id → challenge id mapping for status
    /// callbacks) in one transaction, then lets the claim go.</summary>
    public async Task MarkSentAsync(Guid messageId, string claimToken, string providerMessageId, string challengeId)
    {
        var ttl = options.Value.SentRecordTtl;
        var transaction = Database.CreateTransaction();
        _ = transaction.StringSetAsync(NotifierKeys.Sent(messageId), providerMessageId, ttl);
        _ = transaction.StringSetAsync(NotifierKeys.ProviderMessage(providerMessageId), challengeId, ttl);
        _ = transaction.KeyDeleteAsync(NotifierKeys.Attempt(messageId));
        await transaction.ExecuteAsync();
        await ReleaseAsync(messageId, claimToken);
    }

    public Task ReleaseAsync(Guid messageId, string claimToken) =>
        Database.ScriptEvaluateAsync(ReleaseScript, [NotifierKeys.Claim(messageId)], [claimToken]);

    /// <summary>The challenge a provider message belongs to, for delivery callbacks.</summary>
    public async Task<string?> FindChallengeAsync(string providerMessageId)
    {
        var value = await Database.StringGetAsync(NotifierKeys.ProviderMessage(providerMessageId));
        return value.HasValue ? value.ToString() : null;
    }
}
