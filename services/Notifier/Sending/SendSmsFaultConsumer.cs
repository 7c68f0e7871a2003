using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// MassTransit publishes <see cref="Fault{T}"/> once a SendSms has used up its retries and moved to
/// the error queue; this tells the rest of the suite with an SmsFailed that carries the reason.
/// </summary>
public sealed class SendSmsFaultConsumer(SmsIdempotency idempotency, ISmsProvider provider, TimeProvider timeProvider,
    IOptions<SendingOptions> options, ILogger<SendSmsFaultConsumer> logger)
    : IConsumer<Fault<SendSms>>
{
    private static readonly string SendExceptionType = typeof(SmsSendException).FullName!;
    private static readonly string InProgressExceptionType = typeof(SendInProgressException).FullName!;
    private static readonly string GivenUpExceptionType = typeof(SmsGivenUpException).FullName!;

    public async Task Consume(ConsumeContext<Fault<SendSms>> context)
    {
        var message = context.Message.Message;
        var exception = context.Message.Exceptions.FirstOrDefault();

        // A copy of a message given up before: the fault that gave it up is acknowledged only after its
        // SmsFailed was published, so that SmsFailed is out (or its fault comes back until it is).
        if (exception?.ExceptionType == GivenUpExceptionType)
        {
            logger.LogInformation("A copy of SMS {MessageId}, given up before, moved to the error queue", message.MessageId);
            return;
        }

        // Decided under the message's claim, like a send: a copy of this message may be in send-sms too (its
        // Notifier was killed after MassTransit published this fault but before the message left send-sms).
        // While that copy is being sent, the message is neither given up nor reported failed; once the copy
        // is done it is either sent (no failure) or finds the message given up and is not sent.
        var claim = await idempotency.ClaimWhenFreeAsync(message.MessageId, toSend: false,
            () => logger.LogInformation("SMS {MessageId} is being sent by another consumer; its fault waits for the outcome",
                message.MessageId),
            context.CancellationToken);

        // A replica that lost the race may give up after the winner sent the SMS: that is no failure.
        if (claim.AlreadySentAs is not null) return;

        // Without a claim of ours the message was given up before: this fault came back because its Notifier
        // died before the ack, perhaps before the SmsFailed went out, so the SmsFailed is published (again).
        if (claim.Token is { } token)
        {
            // An attempt without an outcome (a sender killed, or a lookup that kept failing) may have reached
            // the provider: ask once more before calling it failed.
            if (claim.HadEarlierAttempt && await FindAcceptedAsync(message, context.CancellationToken) is { } accepted)
            {
                await idempotency.MarkSentAsync(message.MessageId, token, accepted, message.ChallengeId);
                logger.LogInformation("SMS {MessageId} for challenge {ChallengeId} was accepted by the provider as {ProviderMessageId} " +
                    "before its sender gave up",
                    message.MessageId, message.ChallengeId, accepted);
                await context.PublishSentAsync(message, accepted, timeProvider.GetUtcNow(), options.Value.PublishTimeout);
                return;
            }

            // From here on the message counts as failed: a copy that comes back (its sender died before the
            // ack that followed the move to the error queue) is not sent after all.
            if (await idempotency.GiveUpAsync(message.MessageId, token) is not null) return;
        }

        var reason = exception?.ExceptionType switch
        {
            var type when type == SendExceptionType => exception!.Message,
            var type when type == InProgressExceptionType => SmsFailureReasons.SendInProgress,
            _ => SmsFailureReasons.NotifierError,
        };

        logger.LogError("SMS {MessageId} to {Destination} moved to the error queue: {Reason}", message.MessageId,
            message.MaskedDestination, reason);
        await context.PublishFailedAsync(message, reason, timeProvider.GetUtcNow(), options.Value.PublishTimeout);
    }

    private async Task<string?> FindAcceptedAsync(SendSms message, CancellationToken cancellationToken)
    {
        try
        {
            return await provider.FindAcceptedAsync(
                new OutgoingSms(message.MessageId, message.ChallengeId, message.Destination, message.MaskedDestination, Body: ""),
                    message.Code, cancellationToken);
        }
        catch (SmsSendException)
        {
            return null; // Still unknown: report the failure, the user can ask for a new code.
        }
    }
}
