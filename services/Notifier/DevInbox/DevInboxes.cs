using System.Text.Json;
using FlexWhere.Notifier.Sending;
using StackExchange.Redis;

namespace FlexWhere.Notifier.DevInbox;

/// <summary>One SMS as the development inbox shows it (shape per docs/api.md).</summary>
public sealed record DevSms(string To, string Body, DateTimeOffset SentAt);

/// <summary>One e-mail as the development inbox shows it.</summary>
public sealed record DevMail(string To, string Subject, string Body, DateTimeOffset SentAt);

/// <summary>The last messages of one channel the development senders "sent", newest first, in a Redis list every
/// replica shares: with <c>--Replicas=2</c> a code sent by one Notifier is read through the other.</summary>
public class DevInbox<T>(IConnectionMultiplexer redis, string key, int capacity = DevInbox<T>.DefaultCapacity)
{
    public const int DefaultCapacity = 50;

    /// <summary>How long the list outlives its last message: a developer's stack runs for hours, not days.</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    public async Task AddAsync(T message)
    {
        var batch = redis.GetDatabase().CreateTransaction();
        _ = batch.ListLeftPushAsync(key, JsonSerializer.Serialize(message));
        _ = batch.ListTrimAsync(key, 0, capacity - 1);
        _ = batch.KeyExpireAsync(key, Kept);
        await batch.ExecuteAsync();
    }

    public async Task<IReadOnlyList<T>> NewestAsync() =>
        [.. (await redis.GetDatabase().ListRangeAsync(key, 0, capacity - 1)).Select(entry => JsonSerializer.Deserialize<T>(entry.ToString())!)];
}

public sealed class DevSmsInbox(IConnectionMultiplexer redis) : DevInbox<DevSms>(redis, NotifierKeys.DevInbox(NotifierKeys.Sms));

public sealed class DevMailInbox(IConnectionMultiplexer redis) : DevInbox<DevMail>(redis, NotifierKeys.DevInbox(NotifierKeys.Email));

/// <summary>
/// The provider when no Twilio account is configured (the default under the AppHost): nothing leaves
/// the machine, and the sign-in code can be read at <c>/dev/sms</c>.
/// </summary>
public sealed class DevInboxSmsProvider(DevSmsInbox inbox, TimeProvider timeProvider) : ISmsProvider
{
    public async Task<string> SendAsync(OutgoingSms sms, CancellationToken cancellationToken)
    {
        await inbox.AddAsync(new DevSms(sms.To, sms.Body, timeProvider.GetUtcNow()));
        return DevMessageId(sms);
    }

    public async Task<string?> FindAcceptedAsync(OutgoingSms sms, string code, CancellationToken cancellationToken) =>
        (await inbox.NewestAsync()).Any(sent => sent.To == sms.To && sent.Body.Contains(code, StringComparison.Ordinal))
            ? DevMessageId(sms)
            : null;

    private static string DevMessageId(OutgoingSms sms) => $"dev-{sms.MessageId:N}";
}

/// <summary>The e-mail sender when no mail server is configured (the default under the AppHost): nothing
/// leaves the machine, and invitations and password links can be read at <c>/dev/mail</c>.</summary>
public sealed class DevInboxEmailSender(DevMailInbox inbox, TimeProvider timeProvider) : IEmailSender
{
    public Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken) =>
        inbox.AddAsync(new DevMail(email.To, email.Subject, email.Body, timeProvider.GetUtcNow()));
}
