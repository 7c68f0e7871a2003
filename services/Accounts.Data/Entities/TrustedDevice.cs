namespace FlexWhere.Accounts.Mfa;

/// <summary>A Control Centre browser that skips the SMS code while its user signs in on it again within
/// the organisation's trusted period (30 days) of the last sign-in there.</summary>
public sealed class TrustedDevice : UserRecord
{
    public const int MaxNameLength = 100;

    /// <summary>Trust is for this role only: a promotion or demotion needs a new SMS code.</summary>
    public UserRole Role { get; set; }

    public required byte[] TokenHash { get; set; }

    public required string Name { get; set; }

    public DateTimeOffset LastSignInAt { get; set; }

    public DateTimeOffset TrustedUntil { get; set; }

    /// <summary>The session of the last sign-in on the device, to tell the user which device they are on.</summary>
    public Guid? LastSessionId { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }

    public bool IsTrusted(DateTimeOffset now) => RevokedAt is null && TrustedUntil > now;
}
