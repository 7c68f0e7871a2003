namespace FlexWhere.Notifier.Sending;

/// <summary>Every Redis key the Notifier writes, in one place; each is written with a TTL.</summary>
public static class NotifierKeys
{
    private const string Prefix = "notifier:";

    /// <summary>The provider accepted this SendSms: holds the provider's message id.</summary>
    public static string Sent(Guid messageId) => $"{Prefix}sms:sent:{messageId:N}";

    /// <summary>A replica is sending this SendSms right now.</summary>
    public static string Claim(Guid messageId) => $"{Prefix}sms:claim:{messageId:N}";

    /// <summary>Provider message id → challenge id, for the provider's status callbacks.</summary>
    public static string ProviderMessage(string providerMessageId) => $"{Prefix}sms:provider:{providerMessageId}";
}
