using MassTransit;

namespace FlexWhere.Notifier.Email;

/// <summary>
/// Turns one <see cref="SendEmail"/> into at most one e-mail (see <see cref="EmailIdempotency"/> for the one
/// window where it may be two with the same <c>Message-ID</c>). A link that expired before it could be
/// sent is dropped: it would not work. Failures the mail server calls final, and unknown templates,
/// go to <c>send-email_error</c> at once; others are retried, then go there too. Nothing is lost silently.
/// </summary>
public sealed class SendEmailConsumer(
    IEmailSender sender,
    EmailIdempotency idempotency,
    TimeProvider timeProvider,
    ILogger<SendEmailConsumer> logger) : IConsumer<SendEmail>
{
    public async Task Consume(ConsumeContext<SendEmail> context)
    {
        var message = context.Message;
        if (message.ExpiresAt <= timeProvider.GetUtcNow())
        {
            logger.LogWarning("Dropped e-mail {MessageId} ({TemplateId}) to {Destination}: its link expired before it could be sent",
                message.MessageId, message.TemplateId, message.MaskedTo);
            return;
        }

        if (!EmailTemplates.Exists(message.TemplateId, EmailTemplates.DefaultLocale))
        {
            throw new EmailSendException($"unknown template {message.TemplateId}", permanent: true);
        }

        var claim = await idempotency.ClaimWhenFreeAsync(message.MessageId, toSend: true,
            () => logger.LogInformation("E-mail {MessageId} is being sent by another consumer; waiting for its outcome", message.MessageId),
            context.CancellationToken);
        if (claim.AlreadySentAs is not null)
        {
            logger.LogInformation("E-mail {MessageId} was sent already; not sending it again", message.MessageId);
            return;
        }

        var token = claim.Token!; // no fault consumer gives e-mails up: neither sent nor given up, so ours
        if (claim.HadEarlierAttempt)
        {
            logger.LogWarning("E-mail {MessageId} had an attempt without an outcome (a Notifier stopped while sending); sending it again " +
                "with the same Message-ID", message.MessageId);
        }

        var (subject, body) = EmailTemplates.Render(message);
        try
        {
            await sender.SendAsync(new OutgoingEmail(message.MessageId, message.To, message.MaskedTo, subject, body),
                context.CancellationToken);
        }
        catch
        {
            // Another attempt (MassTransit's retry, or another replica) may take the message.
            await idempotency.ReleaseAsync(message.MessageId, token);
            throw;
        }

        await idempotency.MarkSentAsync(message.MessageId, token, $"{message.MessageId:N}");
        logger.LogInformation("Sent e-mail {MessageId} ({TemplateId}, {Locale}) to {Destination}", message.MessageId, message.TemplateId,
            message.Locale, message.MaskedTo);
    }
}

/// <summary>The queue <c>send-email</c>, with the same settings as <c>send-sms</c>; then <c>send-email_error</c>.</summary>
public sealed class SendEmailConsumerDefinition(IOptions<SendingOptions> options)
    : SendingConsumerDefinition<SendEmailConsumer>(options, "send-email")
{
    protected override void IgnoreFinal(IRetryConfigurator retry) => retry.Ignore<EmailSendException>(failure => failure.Permanent);
}
