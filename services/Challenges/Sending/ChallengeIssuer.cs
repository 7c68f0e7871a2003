using FlexWhere.Messaging;
using FlexWhere.RedisStore;
using MassTransit;

namespace FlexWhere.Challenges.Sending;

/// <param name="Priority">An admin's or manager's sign-in or step-up code: it may use the budgets' reserves.</param>
public sealed record NewChallenge(Guid OrganisationId, Guid UserId, string Purpose, Destination Destination, string Locale,
    string ClientIp, bool Priority = false);

/// <summary>
/// Creates and resends codes. Order matters: limits are taken, then Redis is written, then SendSms
/// is published. A failed Redis write publishes nothing; a failed publish removes the code and
/// hands the limits back, so the caller can be told plainly that no code was sent. A refusal is a
/// <see cref="ChallengeRefusal"/>; the API turns it into an answer.
/// </summary>
public sealed class ChallengeIssuer(
    ChallengeStore store,
    SendLimiter limiter,
    CodeHasher hasher,
    IBus bus,
    BrokerReachability broker,
    TimeProvider time,
    IOptions<ChallengeOptions> options,
    ILogger<ChallengeIssuer> logger)
{
    private ChallengeOptions Options => options.Value;

    private TimeSpan KeepFor => Options.CodeTtl + Options.StatusRetention;

    public async Task<(IssuedChallenge? Issued, ChallengeRefusal? Refused)> CreateAsync(
        NewChallenge request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var messageId = NewId.NextGuid();
        var who = new SendRequester(request.OrganisationId, request.UserId, request.ClientIp, request.Destination);

        var (admission, refusal) = await AdmitAsync(who, messageId, now, request.Priority);
        if (refusal is not null) return (null, refusal);

        var challengeId = CodeHasher.NewChallengeId();
        var code = CodeHasher.NewCode();
        var expiresAt = now + Options.CodeTtl;
        var resendAfter = now + Options.ResendCooldown;
        var challenge = new ChallengeState(challengeId, ChallengeStates.Pending, request.Purpose, request.OrganisationId, request.UserId,
            request.Destination.E164, request.Locale, request.ClientIp, 0, Options.MaxAttempts, expiresAt, resendAfter,
            messageId.ToString("N"), DeliveryStates.Queued, null, null, request.Priority);
        try
        {
            await store.CreateAsync(challenge, hasher.Hash(challengeId, request.Purpose, code), KeepFor);
        }
        catch (Exception error) when (StoreFailure.Is(error))
        {
            logger.LogError(error, "Could not store a challenge for {MaskedDestination}", request.Destination.Masked);
            await TryReleaseAsync(admission!);
            return (null, StoreUnavailable());
        }

        if (!await TryPublishAsync(challenge, request.Destination, code, messageId, cancellationToken))
        {
            await store.DeleteAsync(challengeId);
            await TryReleaseAsync(admission!);
            return (null, NotSent());
        }

        logger.LogInformation("Sent a code for challenge {ChallengeId} to {MaskedDestination}", challengeId, request.Destination.Masked);
        return (new IssuedChallenge(challengeId, request.Destination.Masked, expiresAt, resendAfter), null);
    }

    /// <summary>A new code for the same challenge; the per-IP limit counts the address the challenge was created from.</summary>
    public async Task<(IssuedChallenge? Issued, ChallengeRefusal? Refused)> ResendAsync(
        string challengeId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var challenge = await store.FindAsync(challengeId);
        if (challenge is null) return (null, new ChallengeRefusal(ChallengeRefusalCode.NotFound));
        if (Closed(challenge, now) is { } closed) return (null, closed);
        if (now < challenge.ResendAfter) return (null, TooSoon(challenge.ResendAfter - now));

        var destination = Destination.Parse(challenge.Destination)!;
        var messageId = NewId.NextGuid();
        var who = new SendRequester(challenge.OrganisationId, challenge.UserId, challenge.ClientIp, destination);
        var (admission, refusal) = await AdmitAsync(who, messageId, now, challenge.Priority);
        if (refusal is not null) return (null, refusal);

        var code = CodeHasher.NewCode();
        var expiresAt = now + Options.CodeTtl;
        var resendAfter = now + Options.ResendCooldown;
        var (outcome, retryAfter) = await store.ReplaceCodeAsync(challengeId, hasher.Hash(challengeId, challenge.Purpose, code),
            messageId.ToString("N"), now, expiresAt, resendAfter, KeepFor);
        if (outcome != ResendOutcome.Resent)
        {
            // Another resend or a verify won the race; this one sends nothing.
            await TryReleaseAsync(admission!);
            return (null, outcome switch
            {
                ResendOutcome.TooSoon => TooSoon(retryAfter),
                ResendOutcome.Expired => new ChallengeRefusal(ChallengeRefusalCode.Expired),
                ResendOutcome.Closed => ClosedRefusal(),
                _ => new ChallengeRefusal(ChallengeRefusalCode.NotFound),
            });
        }

        var resent = challenge with { ExpiresAt = expiresAt, ResendAfter = resendAfter };
        if (!await TryPublishAsync(resent, destination, code, messageId, cancellationToken))
        {
            await store.MarkNotSentAsync(challengeId, messageId.ToString("N"), now);
            await TryReleaseAsync(admission!);
            return (null, NotSent());
        }

        logger.LogInformation("Resent a code for challenge {ChallengeId} to {MaskedDestination}", challengeId, destination.Masked);
        return (new IssuedChallenge(challengeId, destination.Masked, expiresAt, resendAfter), null);
    }

    private async Task<(Admission?, ChallengeRefusal?)> AdmitAsync(SendRequester who, Guid messageId, DateTimeOffset now, bool priority)
    {
        // A Redis failure here propagates: StoreUnavailableHandler answers 503 and nothing was sent.
        var (admission, refused) = await limiter.AdmitAsync(who, messageId.ToString("N"), now, priority);
        if (refused is null) return (admission, null);

        logger.LogWarning("Refused a send to {MaskedDestination}: {Limit}", who.Destination.Masked, refused.Limit);
        return (null, ToRefusal(refused));
    }

    /// <summary>A refused send as a refusal; one for codes and notices.</summary>
    public static ChallengeRefusal ToRefusal(LimitRefusal refused) =>
        new(refused.Code, refused.RetryAfter) { Limit = refused.Limit };

    private async Task<bool> TryPublishAsync(ChallengeState challenge, Destination destination, string code, Guid messageId,
        CancellationToken cancellationToken)
    {
        var message = new SendSms
        {
            MessageId = messageId,
            ChallengeId = challenge.Id,
            Destination = destination.E164,
            MaskedDestination = destination.Masked,
            TemplateId = SmsTemplates.OneTimeCode,
            Locale = challenge.Locale,
            Code = code,
            ExpiresAt = challenge.ExpiresAt,
            AutofillDomain = Options.AutofillDomain,
        };
        try
        {
            await broker.PublishAsync(bus, message, context => context.MessageId = messageId, Options.PublishTimeout, cancellationToken);
            return true;
        }
        catch (BrokerUnreachableNowException)
        {
            logger.LogError("Did not publish the SMS for challenge {ChallengeId}: the broker is unreachable", challenge.Id);
            return false;
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(error, "Could not publish the SMS for challenge {ChallengeId}", challenge.Id);
            return false;
        }
    }

    private async Task TryReleaseAsync(Admission admission)
    {
        try
        {
            await limiter.ReleaseAsync(admission);
        }
        catch (Exception error) when (StoreFailure.Is(error))
        {
            logger.LogWarning(error, "Could not hand back the limits of an unsent SMS");
        }
    }

    private static ChallengeRefusal? Closed(ChallengeState challenge, DateTimeOffset now) =>
        challenge.State == ChallengeStates.Expired || (challenge.State == ChallengeStates.Pending && now >= challenge.ExpiresAt)
            ? new ChallengeRefusal(ChallengeRefusalCode.Expired)
            : challenge.State != ChallengeStates.Pending ? ClosedRefusal()
            : null;

    private static ChallengeRefusal ClosedRefusal() => new(ChallengeRefusalCode.Closed);

    private static ChallengeRefusal TooSoon(TimeSpan wait) =>
        new(ChallengeRefusalCode.ResendTooSoon, wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);

    /// <summary>The broker did not take the SendSms: no code went out.</summary>
    public static ChallengeRefusal NotSent() => new(ChallengeRefusalCode.SmsNotSent, DependencyUnavailableHandler.DefaultRetryAfter);

    private static ChallengeRefusal StoreUnavailable() =>
        new(ChallengeRefusalCode.Unavailable, DependencyUnavailableHandler.DefaultRetryAfter);
}
