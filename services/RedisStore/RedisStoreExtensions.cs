using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>The Redis connection of Challenges, the Gateway and the Notifier, set up the same way in each.</summary>
public static class RedisStoreExtensions
{
    /// <summary>Requires the connection string <paramref name="connectionName"/> and registers the Redis client with its
    /// readiness check. The client completes its I/O on the .NET thread pool instead of its own pool of ten threads: less
    /// CPU per Redis operation on few cores (docs/benchmarks.md, "Redis completions on the thread pool"). No service blocks
    /// a thread on Redis, which is what the dedicated pool guards against.
    /// <para>The client's tracing is on only where the service records telemetry (<see cref="Extensions.RecordsTelemetry"/>).
    /// Aspire's Redis tracing registers a command profiler on the connection: it records every command, keeps a session per
    /// traced request and drains them on a thread of its own every few seconds, whether or not anything listens. With the
    /// OpenTelemetry SDK switched off, that work went nowhere (docs/benchmarks.md, "The Redis client's profiler").</para></summary>
    public static void AddRedisStore(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.RequireConnectionString(connectionName, "a StackExchange.Redis configuration such as 127.0.0.1:6379,password=…");
        var tracing = Extensions.RecordsTelemetry(builder.Configuration);
        builder.AddRedisClient(connectionName,
            configureSettings: settings => settings.DisableTracing |= !tracing,
            configureOptions: options => options.SocketManager = SocketManager.ThreadPool);
    }
}
