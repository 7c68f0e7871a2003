using FlexWhere.Challenges.Apis;
using FlexWhere.Challenges.Codes;
using FlexWhere.Challenges.Limits;
using FlexWhere.Challenges.Phones;
using FlexWhere.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Challenges.Sending;

public sealed record IssuedCode(string ChallengeId, string MaskedDestination, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter);

/// <param name="Priority">An admin's or manager's sign-in or step-up code: it may use the budgets' reserves.</param>
public sealed record NewChallenge(Guid OrganisationId, Guid UserId, string Purpose, Destination Destination, string Locale, string ClientIp, bool Priority = false);

/// <summary>
/// Creates and resends codes. Order matters: limits are taken, then Redis is written, then SendSms
/// is published. A failed Redis write publishes nothing; a failed publish removes the code and
/// hands the limits back, so the caller can be told plainly that no code was sent.
/// </summary>
public sealed class ChallengeIssuer(
    ChallengeStore store,
    SendLimiter limiter,
    CodeHasher hasher,
    IBus bus,
    TimeProvider time,
    IOptions<ChallengeOptions> options,
    ILogger<ChallengeIssuer> logger)
{
    private ChallengeOptions Options => options.Value;

    private TimeSpan KeepFor => Options.CodeTtl + Options.StatusRetention;

    public async Task<(IssuedCode? Issued, Refusal? Refused)> CreateAsync(NewChallenge request, CancellationToken cancellationToken)
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
        catch (RedisException error)
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
        await WarnOnBudgetAsync(request.OrganisationId, admission!, now);
        return (new IssuedCode(challengeId, request.Destination.Masked, expiresAt, resendAfter), null);
    }

    /// <param name="clientIp">The caller's IP, or null to count the IP the challenge was created from.</param>
    public async Task<(IssuedCode? Issued, Refusal? Refused)> ResendAsync(string challengeId, string? clientIp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var challenge = await store.FindAsync(challengeId);
        if (challenge is null) return (null, Refusal.NotFound());
        if (Closed(challenge, now) is { } closed) return (null, closed);
        if (now < challenge.ResendAfter) return (null, TooSoon(challenge.ResendAfter - now));

        var destination = Destination.Parse(challenge.Destination)!;
        var messageId = NewId.NextGuid();
        var who = new SendRequester(challenge.OrganisationId, challenge.UserId, clientIp ?? challenge.ClientIp, destination);
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
                ResendOutcome.Expired => Refusal.Expired(),
                ResendOutcome.Closed => ClosedRefusal(),
                _ => Refusal.NotFound(),
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
        await WarnOnBudgetAsync(challenge.OrganisationId, admission!, now);
        return (new IssuedCode(challengeId, destination.Masked, expiresAt, resendAfter), null);
    }

    private async Task<(Admission?, Refusal?)> AdmitAsync(SendRequester who, Guid messageId, DateTimeOffset now, bool priority)
    {
        // A Redis failure here propagates: StoreUnavailableHandler answers 503 and nothing was sent.
        var (admission, refused) = await limiter.AdmitAsync(who, messageId.ToString("N"), now, priority);
        if (refused is null) return (admission, null);

        logger.LogWarning("Refused a send to {MaskedDestination}: {Limit}", who.Destination.Masked, refused.Limit);
        return (null, ToRefusal(refused));
    }

    /// <summary>The problem a refused send answers; one wording for codes and notices.</summary>
    public static Refusal ToRefusal(LimitRefusal refused)
    {
        var extra = new Dictionary<string, object?> { ["limit"] = refused.Limit };
        return refused switch
        {
            { Code: SendLimiter.SendLimitReached } => new Refusal(StatusCodes.Status429TooManyRequests, refused.Code, "Too many codes sent",
                "Too many codes were sent to this number recently. Wait before asking for another.", refused.RetryAfter, extra),
            { Code: SendLimiter.BudgetExhausted, Limit: SendLimiter.PlatformBudget } => new Refusal(StatusCodes.Status429TooManyRequests, refused.Code, "SMS limit reached",
                "FlexWhere has sent as many text messages today as it may; only administrators' sign-in codes still go out. Try again tomorrow or ask your administrator.",
                refused.RetryAfter, extra),
            { Code: SendLimiter.BudgetExhausted } => new Refusal(StatusCodes.Status429TooManyRequests, refused.Code, "SMS budget used up",
                "Your organisation has used its SMS budget for today. Try again tomorrow or ask your administrator.", refused.RetryAfter, extra),
            _ => new Refusal(StatusCodes.Status429TooManyRequests, refused.Code, "Too many requests",
                "Too many code requests. Wait a moment and try again.", refused.RetryAfter, extra),
        };
    }

    private async Task<bool> TryPublishAsync(ChallengeState challenge, Destination destination, string code, Guid messageId, CancellationToken cancellationToken)
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.PublishTimeout);
        try
        {
            await bus.Publish(message, context => context.MessageId = messageId, timeout.Token);
            return true;
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(error, "Could not publish the SMS for challenge {ChallengeId}", challenge.Id);
            return false;
        }
    }

    private async Task WarnOnBudgetAsync(Guid organisationId, Admission admission, DateTimeOffset now)
    {
        try
        {
            if (!await limiter.ClaimBudgetWarningAsync(organisationId, admission)) return;
            await bus.Publish(new SmsBudgetWarning
            {
                OrganisationId = organisationId,
                Day = admission.BudgetDay,
                Used = admission.BudgetUsed,
                Budget = limiter.DailyBudget,
                WarnedAt = now,
            });
        }
        catch (Exception error)
        {
            // The code went out; a missed warning must not fail the sign-in. The next send retries.
            logger.LogError(error, "Could not publish the SMS budget warning for organisation {OrganisationId}", organisationId);
            await limiter.ReturnBudgetWarningAsync(organisationId, admission);
        }
    }

    private async Task TryReleaseAsync(Admission admission)
    {
        try
        {
            await limiter.ReleaseAsync(admission);
        }
        catch (RedisException error)
        {
            logger.LogWarning(error, "Could not hand back the limits of an unsent SMS");
        }
    }

    private static Refusal? Closed(ChallengeState challenge, DateTimeOffset now) =>
        challenge.State == ChallengeStates.Expired || (challenge.State == ChallengeStates.Pending && now >= challenge.ExpiresAt) ? Refusal.Expired()
        : challenge.State != ChallengeStates.Pending ? ClosedRefusal()
        : null;

    private static Refusal ClosedRefusal() => new(StatusCodes.Status409Conflict, "challenge_closed", "Challenge closed",
        "This challenge was already used or locked. Start the sign-in again.");

    private static Refusal TooSoon(TimeSpan wait) => new(StatusCodes.Status429TooManyRequests, "resend_too_soon", "Too soon to resend",
        "A code was sent moments ago. Wait before asking for another.", wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);

    private static Refusal NotSent() => new(StatusCodes.Status503ServiceUnavailable, "sms_not_sent", "Code not sent",
        "The code could not be sent just now. Try again in a moment.", TimeSpan.FromSeconds(5));

    private static Refusal StoreUnavailable() => new(StatusCodes.Status503ServiceUnavailable, "challenges_unavailable", "Codes unavailable",
        "Codes cannot be issued just now. Try again in a moment.", TimeSpan.FromSeconds(5));
}
