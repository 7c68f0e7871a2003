using FlexWhere.Messaging;
using MassTransit;

namespace FlexWhere.Challenges.Sending;

/// <param name="Template">An <see cref="SmsTemplates"/> id (<see cref="NoticeKinds.Templates"/>).</param>
/// <param name="NoticeId">The caller's id: the same id again gives the same SendSms message id, and the Notifier sends one SMS.</param>
public sealed record NewNotice(
    Guid OrganisationId, Destination Destination, string Kind, string Template, DateTimeOffset EffectiveAt, string Locale,
    Guid? NoticeId = null);

/// <summary>
/// Texts without a code that tell a user of a change to their account, sent to the old number: a change of an
/// admin's sign-in number scheduled, and any number changed. Notices are priority sends: they may use the budgets'
/// reserves, as an admin's sign-in code may.
/// </summary>
public sealed class NoticeSender(
    SendLimiter limiter, IBus bus, BrokerReachability broker, TimeProvider time, IOptions<ChallengeOptions> options,
    ILogger<NoticeSender> logger)
{
    /// <summary>A notice after the fact is worth sending within a day of the change.</summary>
    public static readonly TimeSpan AfterTheFactLifetime = TimeSpan.FromDays(1);

    public async Task<(SentNotice? Sent, ChallengeRefusal? Refused)> SendAsync(NewNotice notice, CancellationToken cancellationToken)
    {
        var messageId = notice.NoticeId ?? NewId.NextGuid();
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
            // Told after a scheduled change took effect, the user could no longer stop it.
            ExpiresAt = NoticeKinds.IsAhead(notice.Kind) ? notice.EffectiveAt : notice.EffectiveAt + AfterTheFactLifetime,
        };
        try
        {
            await broker.PublishAsync(bus, message, publish => publish.MessageId = messageId, options.Value.PublishTimeout,
                cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (error is BrokerUnreachableNowException)
            {
                logger.LogError("Did not publish notice {NoticeId}: the broker is unreachable", noticeId);
            }
            else
            {
                logger.LogError(error, "Could not publish notice {NoticeId}", noticeId);
            }

            await limiter.ReleaseAsync(admission!);
            return (null, ChallengeIssuer.NotSent());
        }

        logger.LogInformation("Sent notice {NoticeId} ({Kind}) to {MaskedDestination}", noticeId, notice.Kind, notice.Destination.Masked);
        return (new SentNotice(noticeId), null);
    }
}
