using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.Auth;

/// <summary>
/// The RSA keys of access tokens: the active key signs (its <c>kid</c> in the token's header), every key
/// of the ring verifies, and the public halves of all of them are published as JWKS. A rotation adds a key,
/// then makes it active, then removes the old one (docs/security.md, "Key rotation"), so every replica and
/// the Gateway know a key before any token signed with it reaches them.
/// </summary>
public sealed class SigningKeyRing
{
    public SigningKeyRing(IOptions<JwtOptions> options, IHostEnvironment environment, ILogger<SigningKeyRing> logger)
    {
        var settings = options.Value;
        var keys = new List<RsaSecurityKey>();
        if (!string.IsNullOrWhiteSpace(settings.SigningKeyPem))
        {
            // The single key of before the ring keeps its id (its JWK thumbprint), so tokens it signed stay valid.
            var legacy = new RsaSecurityKey(Import(settings.SigningKeyPem, "Tokens:SigningKeyPem"));
            legacy.KeyId = Base64UrlEncoder.Encode(legacy.ComputeJwkThumbprint());
            keys.Add(legacy);
        }

        foreach (var (id, pem) in settings.SigningKeys.OrderBy(key => key.Key, StringComparer.Ordinal))
        {
            keys.Add(new RsaSecurityKey(Import(pem, $"Tokens:SigningKeys:{id}")) { KeyId = id });
        }

        if (keys.Count == 0)
        {
            if (!environment.IsDevelopment()) throw new InvalidOperationException(JwtOptionsValidator.NoKeyMessage);

            // Only when Accounts runs alone in Development; the AppHost always passes its persisted key.
            logger.LogWarning("No signing key configured: using a key generated for this run; tokens will not survive a restart");
            var generated = new RsaSecurityKey(RSA.Create(2048));
            generated.KeyId = Base64UrlEncoder.Encode(generated.ComputeJwkThumbprint());
            keys.Add(generated);
        }

        var active = settings.ActiveKey is { Length: > 0 } name
            ? keys.Single(key => key.KeyId == name)
            : keys[0];
        Credentials = new SigningCredentials(active, SecurityAlgorithms.RsaSha256);
        VerificationKeys = [.. keys.Select(key =>
            new RsaSecurityKey(key.Rsa.ExportParameters(includePrivateParameters: false)) { KeyId = key.KeyId })];
        logger.LogInformation("Access tokens are signed with key {ActiveKey}; {KeyCount} key(s) verify them and are published",
            active.KeyId, keys.Count);
    }

    /// <summary>The active key's: what new tokens are signed with.</summary>
    public SigningCredentials Credentials { get; }

    public string ActiveKeyId => Credentials.Key.KeyId;

    /// <summary>Public halves of every key of the ring, the active one included.</summary>
    public IReadOnlyList<RsaSecurityKey> VerificationKeys { get; }

    public object Jwks() => new
    {
        keys = VerificationKeys.Select(key => JsonWebKeyConverter.ConvertFromRSASecurityKey(key)).Select(jwk =>
            new { kty = jwk.Kty, use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = jwk.Kid, n = jwk.N, e = jwk.E }),
    };

    public static bool IsUsablePem(string pem)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return rsa.KeySize >= 2048 && rsa.ExportParameters(includePrivateParameters: true).D is not null;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    private static RSA Import(string pem, string setting)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"{setting} is not an RSA private key in PEM.", e);
        }

        if (rsa.KeySize < 2048) throw new InvalidOperationException($"{setting} must be an RSA key of at least 2048 bits.");
        return rsa;
    }
}
