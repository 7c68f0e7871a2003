namespace FlexWhere.Notifier.Sending;

/// <summary>Every Redis key the Notifier writes, in one place; each is written with a TTL. A message's keys
/// carry its id as their Redis Cluster hash tag (in braces): one script checks and writes them together, and
/// messages spread over the cluster.</summary>
public static class NotifierKeys
{
    private const string Prefix = "notifier:";

    /// <summary>The channels, each with keys of its own.</summary>
    public const string Sms = "sms";

    public const string Email = "email";

    /// <summary>The provider accepted this SendSms (or SendEmail): holds the provider's message id.</summary>
    public static string Sent(Guid messageId, string channel = Sms) => $"{Prefix}{channel}:sent:{{{messageId:N}}}";

    /// <summary>A consumer handed (or was about to hand) this SendSms to the provider; without a sent
    /// record next to it, that attempt's outcome is unknown.</summary>
    public static string Attempt(Guid messageId, string channel = Sms) => $"{Prefix}{channel}:attempt:{{{messageId:N}}}";

    /// <summary>This SendSms went to the error queue with an SmsFailed: a copy that comes back (its
    /// sender died before the ack) must not be sent after all.</summary>
    public static string GaveUp(Guid messageId, string channel = Sms) => $"{Prefix}{channel}:gave-up:{{{messageId:N}}}";

    /// <summary>A replica is sending this SendSms right now.</summary>
    public static string Claim(Guid messageId, string channel = Sms) => $"{Prefix}{channel}:claim:{{{messageId:N}}}";

    /// <summary>Development only: the last messages the development sender of a channel "sent", newest first, shared
    /// by every replica so <c>/dev/sms</c> shows them whichever replica sent them.</summary>
    public static string DevInbox(string channel) => $"{Prefix}{channel}:dev-inbox";

    /// <summary>The next free slot at the provider's rate for one sender (number or messaging service), shared by every
    /// replica; it lives a second past that slot.</summary>
    public static string ProviderRate(string sender) => $"{Prefix}sms:rate:{sender}";

    /// <summary>Provider message id → challenge id, for the provider's status callbacks.</summary>
    public static string ProviderMessage(string providerMessageId) => $"{Prefix}sms:provider:{providerMessageId}";
}
