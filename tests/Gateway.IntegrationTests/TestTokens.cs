using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>An Accounts-like token issuer for the tests: an RSA key, its JWKS, and RS256 tokens.</summary>
internal sealed class TestTokens : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;

    public TestTokens(string keyId = "test-key")
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = keyId };
    }

    public string Jwks => JwksOf(this);

    /// <summary>One key set publishing the keys of all the issuers, as Accounts does during a rotation.</summary>
    public static string JwksOf(params TestTokens[] issuers) => JsonSerializer.Serialize(new
    {
        keys = issuers.Select(issuer =>
        {
            var parameters = issuer._rsa.ExportParameters(includePrivateParameters: false);
            return new
            {
                kty = "RSA", use = "sig", alg = "RS256", kid = issuer._key.KeyId,
                n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent),
            };
        }),
    });

    public string Issue(string userId = "7d1c1d0e-0000-4000-8000-000000000001", DateTime? expires = null,
        string issuer = "flexwhere-accounts", string audience = "flexwhere")
    {
        var now = DateTime.UtcNow;
        var expiry = expires ?? now.AddMinutes(15);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expiry.AddMinutes(-15),
            NotBefore = expiry.AddMinutes(-15),
            Expires = expiry,
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("role", "Admin"), new Claim("org", Guid.NewGuid()
                .ToString())]),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose() => _rsa.Dispose();
}
