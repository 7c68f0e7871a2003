namespace FlexWhere.Accounts.Auth;

/// <summary>An opaque refresh token; only its SHA-256 is stored. Each use replaces it with a new
/// one in the same session, so a token seen twice means a copy is in other hands.</summary>
public sealed class RefreshToken : UserRecord
{
    public Guid SessionId { get; set; }

    public required byte[] TokenHash { get; set; }

    public required string Client { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }
}
