using FlexWhere.RedisStore;

namespace FlexWhere.Challenges.Apis;

/// <summary>Without Redis no code is issued or accepted: 503 <c>challenges_unavailable</c>, not a 500.</summary>
public sealed class StoreUnavailableHandler(ILogger<StoreUnavailableHandler> logger) : DependencyUnavailableHandler(logger,
    new("Redis", ProblemCodes.ChallengesUnavailable, "Codes unavailable",
        "Codes cannot be issued or checked just now. Try again in a moment."))
{
    protected override bool IsUnavailable(Exception exception) => StoreFailure.Is(exception);
}
