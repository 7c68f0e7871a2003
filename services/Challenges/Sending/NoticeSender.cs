using MassTransit;

namespace FlexWhere.Challenges.Sending;

/// <param name="Template">An <see cref="SmsTemplates"/> id (<see cref="NoticeKinds.Templates"/>).</param>
public sealed record NewNotice(
    Guid OrganisationId, Destination Destination, string Kind, string Template, DateTimeOffset EffectiveAt, string Locale);

/// <summary>
/// Texts without a code that tell a user of a change to their account (today: a change of an admin's
/// sign-in number, sent to the old number). Notices are priority sends: they may use the budgets'
/// reserves, as an admin's sign-in code may.
/// </summary>
public sealed class NoticeSender(
    SendLimiter limiter, IBus bus, TimeProvider time, IOptions<ChallengeOptions> options, ILogger<NoticeSender> logger)
{
    public async Task<(SentNotice? Sent, ChallengeRefusal? Refused)> SendAsync(NewNotice notice, CancellationToken cancellationToken)
    {
        var messageId = NewId.NextGuid();
        var noticeId = $"notice-{messageId:N}";
        // A Redis failure propagates: StoreUnavailableHandler answers 503 and nothing was sent.
        var (admission, refused) = await limiter.AdmitNoticeAsync(
            notice.OrganisationId, notice.Destination, messageId.ToString("N"), time.GetUtcNow());
        if (refused is not null)
        {
            logger.LogWarning("Refused a notice to {MaskedDestination}: {Limit}", notice.Destination.Masked, refused.Limit);
            return (null, ChallengeIssuer.ToRefusal(refused));
        }

        var message = new SendSms
        {
            MessageId = messageId,
            ChallengeId = noticeId,
            Destination = notice.Destination.E164,
            MaskedDestination = notice.Destination.Masked,
            TemplateId = notice.Template,
            Locale = notice.Locale,
            Code = SmsTemplates.NoticeDate(notice.EffectiveAt),
            // Told after the change took effect, the user could no longer stop it.
            ExpiresAt = notice.EffectiveAt,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            await bus.Publish(message, publish => publish.MessageId = messageId, timeout.Token);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(error, "Could not publish notice {NoticeId}", noticeId);
            await limiter.ReleaseAsync(admission!);
            return (null, ChallengeIssuer.NotSent());
        }

        logger.LogInformation("Sent notice {NoticeId} ({Kind}) to {MaskedDestination}", noticeId, notice.Kind, notice.Destination.Masked);
        return (new SentNotice(noticeId), null);
    }
}
