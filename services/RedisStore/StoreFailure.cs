using StackExchange.Redis;

namespace FlexWhere.RedisStore;

/// <summary>What the Redis client throws when the store does not answer. Besides its own exceptions, a connection that a
/// dying node resets can surface as the socket library's <see cref="Pipelines.Sockets.Unofficial.ConnectionResetException"/>
/// (seen when a Redis Cluster primary was killed: a Challenges request answered 500).</summary>
public static class StoreFailure
{
    public static bool Is(Exception exception) =>
        exception is RedisException or RedisTimeoutException or Pipelines.Sockets.Unofficial.ConnectionResetException;
}
