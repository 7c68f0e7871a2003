using FlexWhere.Challenges.Codes;
using FlexWhere.Challenges.Limits;
using FlexWhere.Challenges.Phones;
using FlexWhere.Challenges.Sending;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Challenges.Apis;

public sealed record DeliveryStatus(string State, DateTimeOffset? At, string? Reason);

public sealed record ChallengeStatus(
    string ChallengeId, string Status, string MaskedDestination, DateTimeOffset ExpiresAt, int AttemptsLeft, DateTimeOffset ResendAfter, DeliveryStatus Delivery);

/// <summary>Reached through the Gateway. The 128-bit challenge id is the only credential, so both
/// endpoints are rate limited per client IP to keep id guessing and resend abuse expensive.</summary>
public static class PublicChallengesApi
{
    public static RouteGroupBuilder MapPublicChallengesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/challenges")
            .WithTags("Challenges")
            .AddEndpointFilter<PublicRateLimitFilter>();

        api.MapGet("/{challengeId}", GetChallengeStatus);
        api.MapPost("/{challengeId}/resend", ResendChallenge);
        return api;
    }

    public static async Task<Results<Ok<ChallengeStatus>, ProblemHttpResult>> GetChallengeStatus(
        string challengeId, ChallengeStore store, TimeProvider time, HttpContext context)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return Refusal.NotFound().ToProblem(context);
        var challenge = await store.FindAsync(challengeId);
        if (challenge is null) return Refusal.NotFound().ToProblem(context);

        var status = challenge.State == ChallengeStates.Pending && time.GetUtcNow() >= challenge.ExpiresAt ? ChallengeStates.Expired : challenge.State;
        var attemptsLeft = status == ChallengeStates.Pending ? Math.Max(0, challenge.MaxAttempts - challenge.Attempts) : 0;
        return TypedResults.Ok(new ChallengeStatus(
            challengeId,
            status,
            Destination.Parse(challenge.Destination)?.Masked ?? "",
            challenge.ExpiresAt,
            attemptsLeft,
            challenge.ResendAfter,
            new DeliveryStatus(challenge.Delivery, challenge.DeliveryAt, challenge.DeliveryReason)));
    }

    public static async Task<Results<Ok<ResentChallenge>, ProblemHttpResult>> ResendChallenge(
        string challengeId, ChallengeIssuer issuer, HttpContext context, CancellationToken cancellationToken)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return Refusal.NotFound().ToProblem(context);
        var (issued, refused) = await issuer.ResendAsync(challengeId, PublicRateLimitFilter.ClientIp(context), cancellationToken);
        if (refused is not null) return refused.ToProblem(context);
        return TypedResults.Ok(new ResentChallenge(issued!.ResendAfter, issued.ExpiresAt));
    }
}

public sealed class PublicRateLimitFilter(SendLimiter limiter, TimeProvider time) : IEndpointFilter
{
    /// <summary>The client's address; the Gateway's X-Forwarded-For is applied by the forwarded-headers middleware.</summary>
    public static string ClientIp(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var refused = await limiter.AdmitPublicAsync(ClientIp(context.HttpContext), time.GetUtcNow());
        if (refused is null) return await next(context);
        return new Refusal(StatusCodes.Status429TooManyRequests, refused.Code, "Too many requests",
            "Too many requests from your network. Wait a moment and try again.", refused.RetryAfter,
            new Dictionary<string, object?> { ["limit"] = refused.Limit }).ToProblem(context.HttpContext);
    }
}
