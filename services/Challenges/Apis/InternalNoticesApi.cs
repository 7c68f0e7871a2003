using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Challenges.Apis;

/// <summary>Texts without a code (<see cref="NoticeSender"/>), at <c>POST /internal/notices</c>. Called by
/// Accounts only (service key).</summary>
public static class InternalNoticesApi
{
    public static RouteHandlerBuilder MapInternalNoticesApi(this IEndpointRouteBuilder app) =>
        app.MapInternalGroup("/internal/notices", "Internal notices").MapPost("/", SendNotice);

    /// <summary>How far ahead of this server's clock a caller's "just now" may be.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public static async Task<Results<Accepted<SentNotice>, ApiProblem>> SendNotice(
        NoticeRequest request, NoticeSender sender, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (request.Kind is not null && !NoticeKinds.Templates.ContainsKey(request.Kind))
        {
            return new ChallengeRefusal(ChallengeRefusalCode.UnknownNoticeKind).ToProblem();
        }

        var kinds = string.Join(", ", NoticeKinds.Templates.Keys);
        var errors = new FieldErrors();
        errors.RequireIds(request.OrganisationId, request.UserId);
        if (request.Kind is null) errors["kind"] = [$"Give the kind of notice: {kinds}."];
        var destination = errors.RequirePhone("to", request.To);
        if (request.Kind is not null && NoticeKinds.IsAhead(request.Kind))
        {
            if (request.EffectiveAt is not { } effectiveAt || effectiveAt <= now)
            {
                errors["effectiveAt"] = ["Give the date and time the change takes effect, in the future (ISO 8601)."];
            }
        }
        else if (request.EffectiveAt is not { } changedAt || changedAt > now + ClockSkew || changedAt < now - NoticeSender.AfterTheFactLifetime)
        {
            errors["effectiveAt"] = ["Give the date and time the change took effect (ISO 8601), within the last day."];
        }

        errors.RequireLocale(request.Locale);
        if (errors.Count > 0) return ApiProblem.Validation(errors);

        var (sent, refused) = await sender.SendAsync(new NewNotice(request.OrganisationId, destination!, request.Kind!,
            NoticeKinds.Templates[request.Kind!], request.EffectiveAt!.Value, request.Locale!, request.NoticeId), cancellationToken);
        return refused is not null ? refused.ToProblem() : TypedResults.Accepted((string?)null, sent!);
    }
}
