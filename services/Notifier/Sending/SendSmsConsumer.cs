using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Turns one <see cref="SendSms"/> into at most one SMS. Transient provider failures are thrown
/// back to MassTransit (retry, then the error queue, then <see cref="SendSmsFaultConsumer"/>
/// publishes SmsFailed); permanent ones end here with SmsFailed, as retrying cannot help.
/// </summary>
public sealed class SendSmsConsumer(
    ISmsProvider provider,
    SmsIdempotency idempotency,
    TimeProvider timeProvider,
    IOptions<SendingOptions> options,
    ILogger<SendSmsConsumer> logger) : IConsumer<SendSms>
{
    public async Task Consume(ConsumeContext<SendSms> context)
    {
        var message = context.Message;
        var now = timeProvider.GetUtcNow();

        if (message.ExpiresAt <= now)
        {
            logger.LogWarning("Dropped SMS {MessageId} to {Destination} for challenge {ChallengeId}: its code expired before it could be " +
                "sent",
                message.MessageId, message.MaskedDestination, message.ChallengeId);
            await PublishFailedAsync(context, SmsFailureReasons.CodeExpired);
            return;
        }

        // A locale without a translation falls back to English rather than sending nothing. Checked
        // before Redis: a message with an unknown template was never sent, so there is nothing to find.
        var locale = SmsTemplates.Exists(message.TemplateId, message.Locale) ? message.Locale : SmsTemplates.DefaultLocale;
        if (!SmsTemplates.Exists(message.TemplateId, locale))
        {
            logger.LogError("SMS {MessageId} names unknown template {TemplateId}; not sent", message.MessageId, message.TemplateId);
            await PublishFailedAsync(context, SmsFailureReasons.UnknownTemplate);
            return;
        }

        var body = SmsTemplates.Render(message.TemplateId, locale, message.Code,
            SmsTemplates.MinutesLeft(message.ExpiresAt, now), message.AutofillDomain);

        // Another replica (or a copy redelivered meanwhile) may be sending this very message: wait for its
        // outcome instead of failing. Either its sent record appears (nothing to send) or its claim expires.
        var claim = await idempotency.ClaimWhenFreeAsync(message.MessageId, toSend: true,
            () => logger.LogInformation("SMS {MessageId} is being sent by another consumer; waiting for its outcome", message.MessageId),
            context.CancellationToken);
        if (claim.AlreadySentAs is { } alreadySent)
        {
            // A redelivery, or a replica that died between the send and its SmsSent: send nothing,
            // but publish SmsSent again (events are at least once; their consumers are idempotent).
            logger.LogInformation("SMS {MessageId} was already accepted by the provider as {ProviderMessageId}; not sending it again",
                message.MessageId, alreadySent);
            await PublishSentAsync(context, alreadySent);
            return;
        }

        if (claim.GaveUp)
        {
            // A copy of a message already given up with an SmsFailed (its sender died before the ack):
            // sending it now would turn a reported failure into a delivery.
            logger.LogInformation("SMS {MessageId} was already given up with an SmsFailed; not sending it", message.MessageId);
            throw new SmsGivenUpException(message.MessageId);
        }

        var token = claim.Token!; // neither sent nor given up: ours
        var outgoing = new OutgoingSms(message.MessageId, message.ChallengeId, message.Destination, message.MaskedDestination, body);
        string providerMessageId;
        try
        {
            // An earlier attempt without an outcome: a consumer died (or timed out) while sending. The
            // provider may have the message already; sending again would deliver the code twice.
            if (claim.HadEarlierAttempt
                && await provider.FindAcceptedAsync(outgoing, message.Code, context.CancellationToken) is { } acceptedEarlier)
            {
                await idempotency.MarkSentAsync(message.MessageId, token, acceptedEarlier, message.ChallengeId);
                logger.LogInformation("SMS {MessageId} for challenge {ChallengeId} was accepted by the provider in an earlier attempt as " +
                    "{ProviderMessageId}; not sending it again",
                    message.MessageId, message.ChallengeId, acceptedEarlier);
                await PublishSentAsync(context, acceptedEarlier);
                return;
            }

            providerMessageId = await provider.SendAsync(outgoing, context.CancellationToken);
        }
        catch (SmsSendException failure) when (failure.Permanent)
        {
            await idempotency.ReleaseAsync(message.MessageId, token);
            logger.LogWarning("The provider refused SMS {MessageId} to {Destination} for good: {Reason}",
                message.MessageId, message.MaskedDestination, failure.Reason);
            await PublishFailedAsync(context, failure.Reason);
            return;
        }
        catch
        {
            // Let another attempt (MassTransit's retry, or another replica) take the message.
            await idempotency.ReleaseAsync(message.MessageId, token);
            throw;
        }

        await idempotency.MarkSentAsync(message.MessageId, token, providerMessageId, message.ChallengeId);
        logger.LogInformation("Sent SMS {MessageId} to {Destination} for challenge {ChallengeId} as {ProviderMessageId}",
            message.MessageId, message.MaskedDestination, message.ChallengeId, providerMessageId);
        await PublishSentAsync(context, providerMessageId);
    }

    private Task PublishSentAsync(ConsumeContext<SendSms> context, string providerMessageId) =>
        context.PublishSentAsync(context.Message, providerMessageId, timeProvider.GetUtcNow(), options.Value.PublishTimeout);

    private Task PublishFailedAsync(ConsumeContext<SendSms> context, string reason) =>
        context.PublishFailedAsync(context.Message, reason, timeProvider.GetUtcNow(), options.Value.PublishTimeout);
}



/// <summary>
/// A copy of a message that was given up earlier. MassTransit publishes the fault of a message just
/// before it moves the message to the error queue; a Notifier killed in between leaves the SmsFailed
/// published but the message back in <c>send-sms</c>, not in the error queue. Thrown, never
/// retried: this copy goes to the error queue, where every given-up message belongs. It may be a
/// second copy there when the first move did happen.
/// </summary>
public sealed class SmsGivenUpException(Guid messageId)
    : Exception($"SMS {messageId} was given up earlier and reported with an SmsFailed; this copy goes to the error queue.");

/// <summary>The reasons in SmsFailed that the Notifier itself decides; provider reasons look like <c>twilio_21211</c>.</summary>
public static class SmsFailureReasons
{
    public const string CodeExpired = "code_expired";
    public const string UnknownTemplate = "unknown_template";
    public const string SendInProgress = "send_in_progress";
    public const string NotifierError = "notifier_error";
}
