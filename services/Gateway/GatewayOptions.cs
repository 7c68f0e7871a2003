namespace FlexWhere.Gateway;

public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required]
    public JwtOptions Jwt { get; set; } = new();

    [Required]
    public CorsOptions Cors { get; set; } = new();

    [Required]
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>The largest request body the Gateway accepts; the user import raises it on its own route.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;
}

public sealed class JwtOptions
{
    [Required] public string Issuer { get; set; } = "flexwhere-accounts";
    [Required] public string Audience { get; set; } = "flexwhere";

    /// <summary>Accounts' key set, found by service discovery.</summary>
    [Required, Url] public string JwksUrl { get; set; } = "http://accounts/.well-known/jwks.json";

    /// <summary>How soon after a fetch a token with an unknown key may trigger another (key rotation).</summary>
    [Range(1, 3600)] public int KeyRefreshSeconds { get; set; } = 30;

    /// <summary>How old the known key set may grow before it is fetched again in the background: a key removed from
    /// Accounts stops being accepted here within this time.</summary>
    [Range(1, 86400)] public int KeySetMaxAgeSeconds { get; set; } = 300;
}

public sealed class CorsOptions
{
    /// <summary>The Control Centre's origins; no origin is allowed when empty.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}

public sealed class RateLimitOptions
{
    /// <summary>Sign-in, MFA and refresh requests per client IP per minute (anonymous routes). Generous,
    /// because a whole office signs in from one NAT address at 09:00; brute force on one account is
    /// stopped by Accounts' lockout and the code attempt limits, not here. No upper bound: a load test (bench/run.sh)
    /// sets it out of its own reach while the limiter keeps counting every request, as it does in production.</summary>
    [Range(1, int.MaxValue)] public int AnonymousPerIpPerMinute { get; set; } = 300;

    /// <summary>Requests per client IP per minute that make FlexWhere e-mail someone ("forgot password"): few, as each
    /// one is a message in a stranger's mailbox; Accounts also limits the links per address.</summary>
    [Range(1, 10_000)] public int MessageRequestsPerIpPerMinute { get; set; } = 5;

    /// <summary>Requests per signed-in user per minute (every other route); no upper bound, as above.</summary>
    [Range(1, int.MaxValue)] public int PerUserPerMinute { get; set; } = 600;
}
