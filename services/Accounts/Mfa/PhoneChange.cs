namespace FlexWhere.Accounts.Mfa;

/// <summary>A number the user asked to use, waiting for the code sent to it.</summary>
public sealed class PhoneVerification
{
    public Guid Id { get; set; }

    public required byte[] TokenHash { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    /// <summary>E.164.</summary>
    public required string PhoneNumber { get; set; }

    public required string ChallengeId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }
}

public static class PhoneChangeStates
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
}

/// <summary>A change of an admin's number that a second admin must approve (four-eyes), so one
/// compromised admin account cannot move another admin's — or its own — second factor.</summary>
public sealed class PendingPhoneChange
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public Guid Id { get; set; }

    public Guid OrganisationId { get; set; }

    public Guid TargetUserId { get; set; }

    public Guid RequestedBy { get; set; }

    /// <summary>E.164, or null to remove the number.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>True when the target proved the number with a code before asking.</summary>
    public bool Verified { get; set; }

    public required string State { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public Guid? DecidedBy { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }
}
