using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlexWhere.Gateway.RateLimiting;

/// <summary>
/// Limits at the edge, counted in Redis so that they hold across Gateway replicas: per client IP on
/// the anonymous routes (sign-in, MFA, refresh), per signed-in user on the rest. Each route names its
/// policy in the proxy configuration. Each replica reserves permits in blocks (<see cref="ReservingWindowRateLimiter"/>),
/// so a key that sends many requests is counted without a round trip to Redis for each.
/// </summary>
public static class EdgeRateLimits
{
    public const string PerIpPolicy = "per-ip";
    public const string PerUserPolicy = "per-user";
    public const string PerIpMessagesPolicy = "per-ip-messages";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static void AddEdgeRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddRateLimiter(options =>
        {
            options.OnRejected = (context, _) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : Window;
                var seconds = ApiProblem.RetryAfterSeconds(wait);
                return new ValueTask(new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests",
                    $"Too many requests from you: try again in {seconds} seconds.").WithRetryAfter(wait).WriteAsync(context.HttpContext));
            };

            options.AddPolicy(PerIpPolicy, context =>
                Partition(context, $"ip:{ClientIp(context)}", limits => limits.AnonymousPerIpPerMinute));
            options.AddPolicy(PerIpMessagesPolicy, context =>
                Partition(context, $"ip-messages:{ClientIp(context)}", limits => limits.MessageRequestsPerIpPerMinute));
            options.AddPolicy(PerUserPolicy, context =>
                Partition(context, context.User.FindFirst("sub")?.Value is { } user ? $"user:{user}" : $"ip:{ClientIp(context)}",
                    limits => limits.PerUserPerMinute));
        });
    }

    private static RateLimitPartition<string> Partition(HttpContext context, string key, Func<RateLimitOptions, int> permits)
    {
        var limits = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimits;
        var redis = context.RequestServices.GetRequiredService<IConnectionMultiplexer>();
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        return RateLimitPartition.Get(key,
            _ => new ReservingWindowRateLimiter(redis, $"gateway:ratelimit:{key}", permits(limits), Window, time));
    }

    // The forwarded-headers middleware has already replaced this with the client's address where a
    // trusted proxy stands in front of the Gateway.
    private static string ClientIp(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
