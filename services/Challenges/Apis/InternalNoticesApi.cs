using FlexWhere.Challenges.Limits;
using FlexWhere.Challenges.Phones;
using FlexWhere.Challenges.Sending;
using FlexWhere.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FlexWhere.Challenges.Apis;

public sealed record NoticeRequest(Guid OrganisationId, Guid UserId, string? To, string? Kind, DateTimeOffset? EffectiveAt, string? Locale);

public sealed record AcceptedNotice(string NoticeId);

public static class NoticeKinds
{
    public const string PhoneChangeScheduled = "phone_change_scheduled";

    public static readonly IReadOnlyDictionary<string, string> Templates = new Dictionary<string, string>
    {
        [PhoneChangeScheduled] = SmsTemplates.PhoneChangeScheduled,
    };
}

/// <summary>
/// Texts without a code that tell a user of a change to their account (today: a change of an admin's
/// sign-in number, sent to the old number). Called by Accounts only (service key). Notices are
/// priority sends: they may use the budgets' reserves, as an admin's sign-in code may.
/// </summary>
public static class InternalNoticesApi
{
    public static RouteGroupBuilder MapInternalNoticesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/internal/notices")
            .WithTags("Internal notices")
            .AddEndpointFilter<InternalApiKeyFilter>()
            .ExcludeFromDescription();

        api.MapPost("/", SendNotice);
        return api;
    }

    public static async Task<Results<Accepted<AcceptedNotice>, ValidationProblem, ProblemHttpResult>> SendNotice(
        NoticeRequest request, SendLimiter limiter, IBus bus, TimeProvider time, IOptions<ChallengeOptions> options,
        ILoggerFactory loggers, HttpContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (request.Kind is not null && !NoticeKinds.Templates.ContainsKey(request.Kind))
        {
            return new Refusal(StatusCodes.Status400BadRequest, "unknown_notice_kind", "Unknown notice",
                $"There is no notice of kind '{request.Kind}'. Use one of: {string.Join(", ", NoticeKinds.Templates.Keys)}.").ToProblem(context);
        }

        var errors = new Dictionary<string, string[]>();
        if (request.OrganisationId == Guid.Empty) errors["organisationId"] = ["Give the organisation's id."];
        if (request.UserId == Guid.Empty) errors["userId"] = ["Give the user's id."];
        if (request.Kind is null) errors["kind"] = [$"Give the kind of notice: {string.Join(", ", NoticeKinds.Templates.Keys)}."];
        var destination = Destination.Parse(request.To);
        if (destination is null) errors["to"] = ["Give a valid phone number in E.164 form, such as +31612345678."];
        if (request.EffectiveAt is not { } effectiveAt || effectiveAt <= now) errors["effectiveAt"] = ["Give the date and time the change takes effect, in the future (ISO 8601)."];
        if (request.Locale is null || !SmsTemplates.Locales.Contains(request.Locale)) errors["locale"] = [$"Use one of: {string.Join(", ", SmsTemplates.Locales)}."];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The notice request is not valid",
                extensions: new Dictionary<string, object?> { ["code"] = "invalid_request" });
        }

        var logger = loggers.CreateLogger(typeof(InternalNoticesApi));
        var messageId = NewId.NextGuid();
        var noticeId = $"notice-{messageId:N}";
        // A Redis failure propagates: StoreUnavailableHandler answers 503 and nothing was sent.
        var (admission, refused) = await limiter.AdmitNoticeAsync(request.OrganisationId, destination!, messageId.ToString("N"), now);
        if (refused is not null)
        {
            logger.LogWarning("Refused a notice to {MaskedDestination}: {Limit}", destination!.Masked, refused.Limit);
            return ChallengeIssuer.ToRefusal(refused).ToProblem(context);
        }

        var message = new SendSms
        {
            MessageId = messageId,
            ChallengeId = noticeId,
            Destination = destination!.E164,
            MaskedDestination = destination.Masked,
            TemplateId = NoticeKinds.Templates[request.Kind!],
            Locale = request.Locale!,
            Code = SmsTemplates.NoticeDate(request.EffectiveAt!.Value),
            // Told after the change took effect, the user could no longer stop it.
            ExpiresAt = request.EffectiveAt!.Value,
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
            return new Refusal(StatusCodes.Status503ServiceUnavailable, "sms_not_sent", "Notice not sent",
                "The notice could not be sent just now. Try again in a moment.", TimeSpan.FromSeconds(5)).ToProblem(context);
        }

        logger.LogInformation("Sent notice {NoticeId} ({Kind}) to {MaskedDestination}", noticeId, request.Kind, destination.Masked);
        return TypedResults.Accepted((string?)null, new AcceptedNotice(noticeId));
    }
}
