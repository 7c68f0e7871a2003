namespace FlexWhere.Notifier.DevInbox;

/// <summary>One message as the development inbox shows it (shape per docs/api.md).</summary>
public sealed record DevSms(string To, string Body, DateTimeOffset SentAt);

/// <summary>The last messages the development provider "sent", newest first, in memory only.</summary>
public sealed class DevSmsInbox(int capacity = DevSmsInbox.DefaultCapacity)
{
    public const int DefaultCapacity = 50;

    private readonly LinkedList<DevSms> _messages = new();
    private readonly Lock _lock = new();

    public void Add(DevSms sms)
    {
        lock (_lock)
        {
            _messages.AddFirst(sms);
            while (_messages.Count > capacity) _messages.RemoveLast();
        }
    }

    public IReadOnlyList<DevSms> Newest()
    {
        lock (_lock) return [.. _messages];
    }
}

/// <summary>
/// The provider when no Twilio account is configured (the default under the AppHost): nothing leaves
/// the machine, and the sign-in code can be read at <c>/dev/sms</c>.
/// </summary>
public sealed class DevInboxSmsProvider(DevSmsInbox inbox, TimeProvider timeProvider) : ISmsProvider
{
    public Task<string> SendAsync(OutgoingSms sms, CancellationToken cancellationToken)
    {
        inbox.Add(new DevSms(sms.To, sms.Body, timeProvider.GetUtcNow()));
        return Task.FromResult(DevMessageId(sms));
    }

    public Task<string?> FindAcceptedAsync(OutgoingSms sms, string code, CancellationToken cancellationToken) =>
        Task.FromResult(inbox.Newest().Any(sent => sent.To == sms.To && sent.Body.Contains(code, StringComparison.Ordinal))
            ? DevMessageId(sms)
            : null);

    private static string DevMessageId(OutgoingSms sms) => $"dev-{sms.MessageId:N}";
}
