using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.Auth;

/// <summary>The RSA key that signs access tokens; its public half is published as JWKS.</summary>
public sealed class SigningKey
{
    public SigningKey(IOptions<JwtOptions> options, IHostEnvironment environment, ILogger<SigningKey> logger)
    {
        var rsa = RSA.Create();
        var pem = options.Value.SigningKeyPem;
        if (string.IsNullOrWhiteSpace(pem))
        {
            if (!environment.IsDevelopment())
            {
                throw new InvalidOperationException(
                    "Tokens:SigningKeyPem is not set: run through the AppHost (parameter accounts-jwt-signing-key) or set " +
                        "Tokens__SigningKeyPem to an RSA private key in PEM.");
            }

            // Only when Accounts runs alone in Development; the AppHost always passes its persisted key.
            logger.LogWarning("No signing key configured: using a key generated for this run; tokens will not survive a restart");
            rsa.KeySize = 2048;
        }
        else
        {
            try
            {
                rsa.ImportFromPem(pem);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                throw new InvalidOperationException("Tokens:SigningKeyPem is not an RSA private key in PEM.", e);
            }

            if (rsa.KeySize < 2048) throw new InvalidOperationException("Tokens:SigningKeyPem must be an RSA key of at least 2048 bits.");
        }

        Key = new RsaSecurityKey(rsa);
        Key.KeyId = Base64UrlEncoder.Encode(Key.ComputeJwkThumbprint());
        PublicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)) { KeyId = Key.KeyId };
        Credentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256);
    }

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

    public RsaSecurityKey Key { get; }

    public RsaSecurityKey PublicKey { get; }

    public SigningCredentials Credentials { get; }

    public object Jwks()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(PublicKey);
        return new { keys = new[] { new { kty = jwk.Kty, use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = jwk.Kid, n = jwk.N,
            e = jwk.E } } };
    }
}
