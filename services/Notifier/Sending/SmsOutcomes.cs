using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>The two outcomes the Notifier reports for a SendSms, from the consumer that sends it and from
/// the one that gives it up, each published within <see cref="SendingOptions.PublishTimeout"/>.</summary>
public static class SmsOutcomes
{
    public static Task PublishSentAsync(this ConsumeContext context, SendSms sms, string providerMessageId, DateTimeOffset at,
        TimeSpan timeout) => context.PublishWithinAsync(
        new SmsSent { MessageId = sms.MessageId, ChallengeId = sms.ChallengeId, ProviderMessageId = providerMessageId, SentAt = at },
        timeout, context.CancellationToken);

    public static Task PublishFailedAsync(this ConsumeContext context, SendSms sms, string reason, DateTimeOffset at,
        TimeSpan timeout) => context.PublishWithinAsync(
        new SmsFailed { MessageId = sms.MessageId, ChallengeId = sms.ChallengeId, Reason = reason, FailedAt = at },
        timeout, context.CancellationToken);
}
