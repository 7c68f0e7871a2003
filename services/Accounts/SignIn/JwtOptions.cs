using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Auth;

public sealed class JwtOptions
{
    public const string Section = "Tokens";

    [Required] public string Issuer { get; set; } = "flexwhere-accounts";

    [Required] public string Audience { get; set; } = "flexwhere";

    [Range(60, 3600)] public int AccessTokenLifetimeSeconds { get; set; } = 900;

    [Range(1, 90)] public int RefreshTokenLifetimeDays { get; set; } = 14;

    /// <summary>RSA private key (2048 bits or more) in PEM. The AppHost passes its
    /// <c>accounts-jwt-signing-key</c> parameter; required outside Development.</summary>
    public string? SigningKeyPem { get; set; }
}

public sealed class PasswordSignInOptions
{
    public const string Section = "SignIn";

    /// <summary>Consecutive wrong passwords that lock an account (NIST SP 800-63B allows at most 100).</summary>
    [Range(3, 100)] public int MaxFailedAttempts { get; set; } = 10;

    [Range(1, 1440)] public int LockoutMinutes { get; set; } = 15;
}
