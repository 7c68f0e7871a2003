namespace FlexWhere.Accounts.Auth;

/// <summary>One sign-in on one client: how it was earned (amr/acr), when it ends, and what ended it.
/// Every access token names its session, and Accounts checks the session on every request, so a
/// revoked session stops working at once instead of when its access token expires.</summary>
public sealed class UserSession : UserRecord
{
    public required string Client { get; set; }

    /// <summary>The role the session was earned for; a role change ends the session.</summary>
    public UserRole Role { get; set; }

    /// <summary>RFC 8176 methods that opened the session (AuthMethods in Accounts). Never raised later.</summary>
    public required string[] Amr { get; set; }

    /// <summary><c>aal1</c> or <c>aal2</c> (Assurance in Accounts).</summary>
    public required string Acr { get; set; }

    /// <summary>When the password was checked for this session (OIDC auth_time).</summary>
    public DateTimeOffset AuthTime { get; set; }

    /// <summary>The last proof of a second factor (the sign-in's own code, or a step-up); null after a
    /// sign-in on a trusted device, which proves no factor now.</summary>
    public DateTimeOffset? SecondFactorAt { get; set; }

    /// <summary>The last proof of the password (the sign-in, or a step-up by password).</summary>
    public DateTimeOffset PasswordAt { get; set; }

    /// <summary>The trusted device that opened the session: revoking the device ends it.</summary>
    public Guid? TrustedDeviceId { get; set; }

    /// <summary>Absolute end: no refresh goes past it.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Last request or refresh (written at most once a minute); idle sessions end.</summary>
    public DateTimeOffset LastSeenAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }
}
