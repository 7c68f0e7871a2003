using FlexWhere.Contracts;
using FlexWhere.Notifier.Providers;
using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// MassTransit publishes <see cref="Fault{T}"/> once a SendSms has used up its retries and moved to
/// the error queue; this tells the rest of the suite with an SmsFailed that carries the reason.
/// </summary>
public sealed class SendSmsFaultConsumer(SmsIdempotency idempotency, TimeProvider timeProvider, ILogger<SendSmsFaultConsumer> logger)
    : IConsumer<Fault<SendSms>>
{
    private static readonly string SendExceptionType = typeof(SmsSendException).FullName!;
    private static readonly string InProgressExceptionType = typeof(SmsSendInProgressException).FullName!;

    public async Task Consume(ConsumeContext<Fault<SendSms>> context)
    {
        var message = context.Message.Message;

        // A replica that lost the race may give up after the winner sent the SMS: that is no failure.
        if (await idempotency.FindSentAsync(message.MessageId) is not null) return;

        var exception = context.Message.Exceptions.FirstOrDefault();
        var reason = exception?.ExceptionType switch
        {
            var type when type == SendExceptionType => exception!.Message,
            var type when type == InProgressExceptionType => SmsFailureReasons.SendInProgress,
            _ => SmsFailureReasons.NotifierError,
        };

        logger.LogError("SMS {MessageId} to {Destination} moved to the error queue: {Reason}", message.MessageId, message.MaskedDestination, reason);
        await context.Publish(new SmsFailed
        {
            MessageId = message.MessageId,
            ChallengeId = message.ChallengeId,
            Reason = reason,
            FailedAt = timeProvider.GetUtcNow(),
        });
    }
}
