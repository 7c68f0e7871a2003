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

    private IDatabase Database => redis.GetDatabase();

    /// <summary>The provider message id when this message was already accepted by the provider.</summary>
    public async Task<string?> FindSentAsync(Guid messageId)
    {
        var value = await Database.StringGetAsync(NotifierKeys.Sent(messageId));
        return value.HasValue ? value.ToString() : null;
    }

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
