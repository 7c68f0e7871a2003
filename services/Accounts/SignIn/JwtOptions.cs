using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Auth;

public sealed class JwtOptions
{
    public const string Section = "Tokens";

    [Required] public string Issuer { get; set; } = "flexwhere-accounts";

    [Required] public string Audience { get; set; } = "flexwhere";

    [Range(60, 3600)] public int AccessTokenLifetimeSeconds { get; set; } = 900;

    [Range(1, 90)] public int RefreshTokenLifetimeDays { get; set; } = 14;

    /// <summary>A single RSA private key (2048 bits or more) in PEM, its id its JWK thumbprint. The AppHost passes its
    /// <c>accounts-jwt-signing-key</c> parameter. With <see cref="SigningKeys"/> it is one more key of the ring, and
    /// the active one unless <see cref="ActiveKey"/> names another.</summary>
    public string? SigningKeyPem { get; set; }

    /// <summary>The key ring: key id (the token's <c>kid</c>) → RSA private key in PEM. Every key verifies tokens and is
    /// published in the JWKS; only <see cref="ActiveKey"/> signs.</summary>
    public Dictionary<string, string> SigningKeys { get; set; } = [];

    /// <summary>The id of the key that signs new tokens: one of <see cref="SigningKeys"/>. Needed when more than one key
    /// could sign; a rotation changes it only after every replica has the new key.</summary>
    public string? ActiveKey { get; set; }
}

/// <summary>Refuses a key ring that cannot sign or verify, with the setting to fix in the message.</summary>
public sealed partial class JwtOptionsValidator(IHostEnvironment environment) : IValidateOptions<JwtOptions>
{
    public const string NoKeyMessage = "Tokens:SigningKeyPem is not set: run through the AppHost (parameter accounts-jwt-signing-key), " +
        "or set Tokens__SigningKeyPem to an RSA private key in PEM, or give a key ring (Tokens__SigningKeys__<id> and Tokens__ActiveKey).";

    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var hasLegacyKey = !string.IsNullOrWhiteSpace(options.SigningKeyPem);
        if (!hasLegacyKey && options.SigningKeys.Count == 0)
        {
            return environment.IsDevelopment() ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(NoKeyMessage);
        }

        var failures = new List<string>();
        if (hasLegacyKey && !SigningKeyRing.IsUsablePem(options.SigningKeyPem!))
        {
            failures.Add("Tokens:SigningKeyPem is not an RSA private key of at least 2048 bits in PEM.");
        }

        foreach (var (id, pem) in options.SigningKeys)
        {
            if (!KeyId().IsMatch(id))
            {
                failures.Add($"Tokens:SigningKeys:{id}: a key id is 1 to 64 letters, digits, '.', '_' or '-'.");
            }
            else if (string.IsNullOrWhiteSpace(pem) || !SigningKeyRing.IsUsablePem(pem))
            {
                failures.Add($"Tokens:SigningKeys:{id} is not an RSA private key of at least 2048 bits in PEM.");
            }
        }

        var ids = string.Join(", ", options.SigningKeys.Keys.Order(StringComparer.Ordinal));
        if (options.ActiveKey is { Length: > 0 } active)
        {
            if (!options.SigningKeys.Keys.Contains(active, StringComparer.Ordinal))
            {
                failures.Add($"Tokens:ActiveKey '{active}' is not one of Tokens:SigningKeys ({ids}).");
            }
        }
        else if (!hasLegacyKey && options.SigningKeys.Count > 1)
        {
            failures.Add($"Tokens:ActiveKey is not set: name the key of Tokens:SigningKeys that signs ({ids}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex KeyId();
}

public sealed class PasswordSignInOptions
{
    public const string Section = "SignIn";

    /// <summary>Consecutive wrong passwords that lock an account (NIST SP 800-63B allows at most 100).</summary>
    [Range(3, 100)] public int MaxFailedAttempts { get; set; } = 10;

    [Range(1, 1440)] public int LockoutMinutes { get; set; } = 15;

    /// <summary>Password checks (one PBKDF2 hash each) run at once by this process; 0: one per processor the process may use.</summary>
    [Range(0, 1024)] public int ConcurrentChecks { get; set; }

    /// <summary>Sign-ins that may wait for a check, per concurrent check; beyond them a sign-in is refused at once
    /// (503 <c>sign_in_busy</c>).</summary>
    [Range(0, 1000)] public int QueuedPerCheck { get; set; } = 8;

    /// <summary>The shortest <c>Retry-After</c> of a refused sign-in: what it says while few are refused.</summary>
    [Range(1, 60)] public int BusyRetryAfterSeconds { get; set; } = 2;

    /// <summary>The longest: while many more are refused than admitted, the wait grows towards it, so that those turned away
    /// do not all come back at once (<see cref="Auth.PasswordCheckGate"/>).</summary>
    [Range(1, 600)] public int BusyRetryAfterMaxSeconds { get; set; } = 30;
}
