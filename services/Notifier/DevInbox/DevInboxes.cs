namespace FlexWhere.Notifier.DevInbox;

/// <summary>One SMS as the development inbox shows it (shape per docs/api.md).</summary>
public sealed record DevSms(string To, string Body, DateTimeOffset SentAt);

/// <summary>One e-mail as the development inbox shows it.</summary>
public sealed record DevMail(string To, string Subject, string Body, DateTimeOffset SentAt);

/// <summary>The last messages of one channel the development senders "sent", newest first, in memory only.</summary>
public class DevInbox<T>(int capacity)
{
    public const int DefaultCapacity = 50;

    private readonly LinkedList<T> _messages = new();
    private readonly Lock _lock = new();

    public void Add(T message)
    {
        lock (_lock)
        {
            _messages.AddFirst(message);
            while (_messages.Count > capacity) _messages.RemoveLast();
        }
    }

    public IReadOnlyList<T> Newest()
    {
        lock (_lock) return [.. _messages];
    }
}

public sealed class DevSmsInbox(int capacity = DevInbox<DevSms>.DefaultCapacity) : DevInbox<DevSms>(capacity);

public sealed class DevMailInbox(int capacity = DevInbox<DevMail>.DefaultCapacity) : DevInbox<DevMail>(capacity);

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

/// <summary>The e-mail sender when no mail server is configured (the default under the AppHost): nothing
/// leaves the machine, and invitations and password links can be read at <c>/dev/mail</c>.</summary>
public sealed class DevInboxEmailSender(DevMailInbox inbox, TimeProvider timeProvider) : IEmailSender
{
    public Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        inbox.Add(new DevMail(email.To, email.Subject, email.Body, timeProvider.GetUtcNow()));
        return Task.CompletedTask;
    }
}
