namespace FlexWhere.Accounts.Mfa;

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

    /// <summary>Set when no second admin could approve (a single admin): the change applies by itself
    /// then, unless an admin or the user rejects it first; the old number was told.</summary>
    public DateTimeOffset? ApplyAfter { get; set; }
}
