using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.Auth;

public sealed partial record SignedIn(string Status, string AccessToken, string RefreshToken, int ExpiresIn)
{
    /// <summary>Only after a second factor on the Control Centre with "remember this device": present it at the next sign-in.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DeviceToken { get; init; }

    /// <summary>Only after a sign-in with a recovery code.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RecoveryCodesLeft { get; init; }
}

/// <summary>Issues access tokens (RS256 JWT) and opaque refresh tokens (stored as SHA-256).</summary>
public sealed class Tokens(SigningKeyRing keys, IOptions<JwtOptions> options, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <param name="pinVerified">The refresh that asked for this token checked the app's PIN.</param>
    public string CreateAccessToken(User user, UserSession session, bool pinVerified = false)
    {
        var now = time.GetUtcNow().UtcDateTime;
        string[] amr = pinVerified ? [.. session.Amr, AuthMethods.Pin] : session.Amr;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(options.Value.AccessTokenLifetimeSeconds),
            SigningCredentials = keys.Credentials,
            Subject = new ClaimsIdentity(
            [
                new Claim(TokenClaims.Subject, user.Id.ToString()),
                new Claim(TokenClaims.Organisation, user.OrganisationId.ToString()),
                new Claim(TokenClaims.Role, user.Role.ToString()),
                new Claim(TokenClaims.Email, user.Email),
                new Claim(TokenClaims.Session, session.Id.ToString()),
                new Claim(TokenClaims.Client, session.Client),
                new Claim(TokenClaims.Acr, session.Acr),
                new Claim(TokenClaims.AuthTime, session.AuthTime.ToUnixTimeSeconds()
                    .ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
                .. amr.Select(method => new Claim(TokenClaims.Amr, method)),
            ]),
        });
    }

    /// <summary>Adds a new refresh token for the session to the context and returns the signed-in answer.
    /// The refresh token never outlives its session.</summary>
    public SignedIn Issue(AccountsDbContext db, User user, UserSession session, bool pinVerified = false)
    {
        var now = time.GetUtcNow();
        var expiresAt = now.AddDays(options.Value.RefreshTokenLifetimeDays);
        var refreshToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        db.RefreshTokens.Add(new RefreshToken
        {
            SessionId = session.Id,
            TokenHash = Hash(refreshToken),
            Client = session.Client,
            ExpiresAt = expiresAt < session.ExpiresAt ? expiresAt : session.ExpiresAt,
        }.BelongingTo(user, now));
        return new SignedIn("signed_in", CreateAccessToken(user, session, pinVerified), refreshToken,
            options.Value.AccessTokenLifetimeSeconds);
    }

    // The token is 256 random bits, so a plain hash (no salt, no stretching) cannot be reversed.
    public static byte[] Hash(string refreshToken) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(refreshToken));

    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Value.Issuer,
        ValidAudience = options.Value.Audience,
        // Every key of the ring: tokens signed before a rotation stay valid until their key is removed.
        IssuerSigningKeys = keys.VerificationKeys,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        NameClaimType = TokenClaims.Subject,
        RoleClaimType = TokenClaims.Role,
        ClockSkew = TimeSpan.FromSeconds(30),
    };
}
