using System.Security.Cryptography;
using FlexWhere.Challenges.Codes;
using FlexWhere.Challenges.Phones;
using FlexWhere.Challenges.Sending;
using FlexWhere.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Challenges.Apis;

/// <param name="Priority">True for the sign-in and step-up codes of admins and managers: they may use
/// the share of the SMS budgets kept back for them. Absent means false.</param>
public sealed record CreateChallengeRequest(
    Guid OrganisationId, Guid UserId, string? Purpose, string? Destination, string? Locale, string[]? AllowedCountries, string? ClientIp,
    bool Priority = false);

public sealed record CreatedChallenge(string ChallengeId, string MaskedDestination, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter);

public sealed record VerifyChallengeRequest(string? Code, string? Purpose);

public sealed record VerifiedChallenge(bool Verified, Guid UserId, Guid OrganisationId, string Destination);

public sealed record ResentChallenge(DateTimeOffset ResendAfter, DateTimeOffset ExpiresAt);

/// <summary>Called by Accounts only (service key); the Gateway never routes /internal.</summary>
public static class InternalChallengesApi
{
    public static RouteGroupBuilder MapInternalChallengesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/internal/challenges")
            .WithTags("Internal challenges")
            .AddEndpointFilter<InternalApiKeyFilter>()
            .ExcludeFromDescription();

        api.MapPost("/", CreateChallenge);
        api.MapPost("/{challengeId}/verify", VerifyChallenge);
        api.MapPost("/{challengeId}/resend", ResendChallenge);
        return api;
    }

    public static async Task<Results<Created<CreatedChallenge>, ValidationProblem, ProblemHttpResult>> CreateChallenge(
        CreateChallengeRequest request, ChallengeIssuer issuer, HttpContext context, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.OrganisationId == Guid.Empty) errors["organisationId"] = ["Give the organisation's id."];
        if (request.UserId == Guid.Empty) errors["userId"] = ["Give the user's id."];
        if (!Purposes.IsKnown(request.Purpose)) errors["purpose"] = [$"Use '{Purposes.SignIn}' or '{Purposes.PhoneVerification}'."];
        var destination = Destination.Parse(request.Destination);
        if (destination is null) errors["destination"] = ["Give a valid phone number in E.164 form, such as +31612345678."];
        if (request.Locale is null || !SmsTemplates.Locales.Contains(request.Locale)) errors["locale"] = [$"Use one of: {string.Join(", ", SmsTemplates.Locales)}."];
        if (request.AllowedCountries is not { Length: > 0 }) errors["allowedCountries"] = ["Give the organisation's allowed countries, such as [\"NL\"]."];
        if (string.IsNullOrWhiteSpace(request.ClientIp) || !System.Net.IPAddress.TryParse(request.ClientIp, out _)) errors["clientIp"] = ["Give the client's IP address."];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The challenge request is not valid",
                extensions: new Dictionary<string, object?> { ["code"] = "invalid_request" });
        }

        if (!request.AllowedCountries!.Contains(destination!.Region, StringComparer.OrdinalIgnoreCase))
        {
            return new Refusal(StatusCodes.Status422UnprocessableEntity, "country_not_allowed", "Country not allowed",
                $"Your organisation does not allow SMS codes to numbers in {destination.Region}. Use a number from an allowed country or ask your administrator.",
                Extra: new Dictionary<string, object?> { ["country"] = destination.Region }).ToProblem(context);
        }

        var (issued, refused) = await issuer.CreateAsync(
            new NewChallenge(request.OrganisationId, request.UserId, request.Purpose!, destination, request.Locale!, request.ClientIp!, request.Priority), cancellationToken);
        if (refused is not null) return refused.ToProblem(context);

        return TypedResults.Created($"/api/challenges/{issued!.ChallengeId}",
            new CreatedChallenge(issued.ChallengeId, issued.MaskedDestination, issued.ExpiresAt, issued.ResendAfter));
    }

    public static async Task<Results<Ok<VerifiedChallenge>, ValidationProblem, ProblemHttpResult>> VerifyChallenge(
        string challengeId, VerifyChallengeRequest request, ChallengeStore store, CodeHasher hasher, TimeProvider time, HttpContext context)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return Refusal.NotFound().ToProblem(context);
        var errors = new Dictionary<string, string[]>();
        if (request.Code is not { Length: 6 } code || !code.All(char.IsAsciiDigit)) errors["code"] = ["The code has six digits."];
        if (!Purposes.IsKnown(request.Purpose)) errors["purpose"] = [$"Use '{Purposes.SignIn}' or '{Purposes.PhoneVerification}'."];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The verify request is not valid",
                extensions: new Dictionary<string, object?> { ["code"] = "invalid_request" });
        }

        var candidate = hasher.Hash(challengeId, request.Purpose!, request.Code!);
        VerifyResult result;
        var tries = 0;
        do
        {
            var stored = await store.ReadCodeHashAsync(challengeId);
            var matched = !stored.IsNull && CryptographicOperations.FixedTimeEquals(candidate, (byte[])stored!);
            result = await store.ConsumeAsync(challengeId, request.Purpose!, stored, matched, time.GetUtcNow());
        }
        while (result.Outcome == VerifyOutcome.Stale && ++tries < 3);

        return result.Outcome switch
        {
            VerifyOutcome.Verified => TypedResults.Ok(new VerifiedChallenge(true, result.UserId!.Value, result.OrganisationId!.Value, result.Destination!)),
            VerifyOutcome.Invalid => new Refusal(StatusCodes.Status400BadRequest, "invalid_code", "Wrong code",
                $"That code is not right. You have {result.AttemptsLeft} more {(result.AttemptsLeft == 1 ? "try" : "tries")}.",
                Extra: new Dictionary<string, object?> { ["attemptsLeft"] = result.AttemptsLeft }).ToProblem(context),
            VerifyOutcome.Locked => new Refusal(StatusCodes.Status429TooManyRequests, "too_many_attempts", "Too many wrong codes",
                "Too many wrong codes were entered; this code no longer works. Start the sign-in again.").ToProblem(context),
            VerifyOutcome.Expired => Refusal.Expired().ToProblem(context),
            VerifyOutcome.Used => new Refusal(StatusCodes.Status409Conflict, "challenge_already_used", "Code already used",
                "This code was already used. Start the sign-in again.").ToProblem(context),
            VerifyOutcome.NoCode => new Refusal(StatusCodes.Status409Conflict, "code_not_sent", "No code to check",
                "The last code could not be sent. Ask for a new code.").ToProblem(context),
            VerifyOutcome.Stale => new Refusal(StatusCodes.Status409Conflict, "challenge_busy", "Code just replaced",
                "A new code was sent while this one was checked. Enter the newest code.").ToProblem(context),
            _ => Refusal.NotFound().ToProblem(context),
        };
    }

    public static async Task<Results<Ok<ResentChallenge>, ProblemHttpResult>> ResendChallenge(
        string challengeId, ChallengeIssuer issuer, HttpContext context, CancellationToken cancellationToken)
    {
        if (!CodeHasher.IsChallengeId(challengeId)) return Refusal.NotFound().ToProblem(context);
        var (issued, refused) = await issuer.ResendAsync(challengeId, clientIp: null, cancellationToken);
        if (refused is not null) return refused.ToProblem(context);
        return TypedResults.Ok(new ResentChallenge(issued!.ResendAfter, issued.ExpiresAt));
    }
}
