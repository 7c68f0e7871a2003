using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Challenges.Apis;

/// <summary>A refusal the caller can act on: an RFC 9457 problem with a stable <c>code</c> and,
/// where waiting helps, <c>Retry-After</c>.</summary>
public sealed record Refusal(int Status, string Code, string Title, string Detail, TimeSpan? RetryAfter = null, IReadOnlyDictionary<string, object?>? Extra = null)
{
    public ProblemHttpResult ToProblem(HttpContext context)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = Code };
        if (RetryAfter is { } wait)
        {
            var seconds = (long)Math.Ceiling(wait.TotalSeconds);
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            extensions["retryAfterSeconds"] = seconds;
        }

        foreach (var (key, value) in Extra ?? new Dictionary<string, object?>()) extensions[key] = value;
        return TypedResults.Problem(detail: Detail, statusCode: Status, title: Title, extensions: extensions);
    }

    public static Refusal NotFound() => new(StatusCodes.Status404NotFound, "challenge_not_found", "Challenge not found",
        "There is no challenge with this id; it may have expired long ago. Start the sign-in again.");

    public static Refusal Expired() => new(StatusCodes.Status410Gone, "challenge_expired", "Code expired",
        "This code has expired. Ask for a new code.");
}
