using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Challenges.Apis;

/// <summary>Called by Accounts only (service key); the Gateway never routes /internal.</summary>
public static class InternalChallengesApi
{
    public static RouteGroupBuilder MapInternalChallengesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapInternalGroup("/internal/challenges", "Internal challenges");

        api.MapPost("/", CreateChallenge);
        api.MapGet("/{challengeId}", GetChallengeStatus);
        api.MapPost("/{challengeId}/verify", VerifyChallenge);
        api.MapPost("/{challengeId}/resend", ResendChallenge);
        return api;
    }

    public static async Task<Results<Created<IssuedChallenge>, ApiProblem>> CreateChallenge(
        CreateChallengeRequest request, ChallengeIssuer issuer, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        errors.RequireIds(request.OrganisationId, request.UserId);
        if (!ChallengePurposes.IsKnown(request.Purpose)) errors["purpose"] = [PurposeHint];
        var destination = errors.RequirePhone("destination", request.Destination);
        errors.RequireLocale(request.Locale);
        if (!System.Net.IPAddress.TryParse(request.ClientIp, out _)) errors["clientIp"] = ["Give the client's IP address."];
        if (errors.Count > 0) return ApiProblem.Validation(errors);

        var challenge = new NewChallenge(request.OrganisationId, request.UserId, request.Purpose!, destination!, request.Locale!,
            request.ClientIp!, request.Priority);
        var (issued, refused) = await issuer.CreateAsync(challenge, cancellationToken);
        if (refused is not null) return refused.ToProblem();
        return TypedResults.Created($"/internal/challenges/{issued!.ChallengeId}", issued);
    }

    public static async Task<Results<Ok<ChallengeStatus>, ApiProblem>> GetChallengeStatus(
        string challengeId, ChallengeVerifier verifier)
    {
        var (status, refused) = await verifier.StatusAsync(challengeId);
        return refused is not null ? refused.ToProblem() : TypedResults.Ok(status!);
    }

    public static async Task<Results<Ok<VerifiedChallenge>, ApiProblem>> VerifyChallenge(
        string challengeId, VerifyChallengeRequest request, ChallengeVerifier verifier)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return new ChallengeRefusal(ChallengeRefusalCode.NotFound).ToProblem();
        var errors = new FieldErrors();
        if (request.Code is not { Length: 6 } code || !code.All(char.IsAsciiDigit)) errors["code"] = ["The code has six digits."];
        if (!ChallengePurposes.IsKnown(request.Purpose)) errors["purpose"] = [PurposeHint];
        if (errors.Count > 0) return ApiProblem.Validation(errors);

        var (verified, refused) = await verifier.VerifyAsync(challengeId, request.Code!, request.Purpose!);
        return refused is not null ? refused.ToProblem() : TypedResults.Ok(verified!);
    }

    public static async Task<Results<Ok<IssuedChallenge>, ApiProblem>> ResendChallenge(
        string challengeId, ChallengeIssuer issuer, CancellationToken cancellationToken)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return new ChallengeRefusal(ChallengeRefusalCode.NotFound).ToProblem();
        var (issued, refused) = await issuer.ResendAsync(challengeId, cancellationToken);
        return refused is not null ? refused.ToProblem() : TypedResults.Ok(issued!);
    }

    private static readonly string PurposeHint =
        $"Use '{ChallengePurposes.SignIn}', '{ChallengePurposes.PhoneVerification}' or '{ChallengePurposes.PasswordLink}'.";
}
