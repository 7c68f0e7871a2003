namespace FlexWhere.Accounts.Mobile;

/// <summary>A user's TOTP authenticator. Pending until the first valid code confirms it; a new
/// enrollment before that replaces the secret.</summary>
public sealed class TotpFactor
{
    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    /// <summary>The 20-byte secret, encrypted with ASP.NET Core Data Protection (TotpSecrets in Accounts).</summary>
    public required byte[] ProtectedSecret { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ConfirmedAt { get; set; }

    /// <summary>The newest time step a code was accepted for; codes for it or an older step are refused.</summary>
    public long? LastAcceptedStep { get; set; }

    /// <summary>Wrong codes since <see cref="FailureWindowStartedAt"/>, over all login tickets.</summary>
    public int RecentFailures { get; set; }

    public DateTimeOffset? FailureWindowStartedAt { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }
}
