namespace FlexWhere.Challenges.Apis;

/// <summary>Without Redis no code is issued or accepted: 503 <c>challenges_unavailable</c>, not a 500.</summary>
public sealed class StoreUnavailableHandler(ILogger<StoreUnavailableHandler> logger) : DependencyUnavailableHandler(logger,
    new("Redis", ProblemCodes.ChallengesUnavailable, "Codes unavailable",
        "Codes cannot be issued or checked just now. Try again in a moment."))
{
    protected override bool IsUnavailable(Exception exception) => StoreFailure.Is(exception);
}

/// <summary>What the Redis client throws when the store does not answer. Besides its own exceptions, a connection that a
/// dying node resets can surface as the socket library's <see cref="Pipelines.Sockets.Unofficial.ConnectionResetException"/>
/// (seen when a cluster primary was killed: the request answered 500).</summary>
public static class StoreFailure
{
    public static bool Is(Exception exception) =>
        exception is RedisException or RedisTimeoutException or Pipelines.Sockets.Unofficial.ConnectionResetException;
}
