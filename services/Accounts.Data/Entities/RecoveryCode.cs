namespace FlexWhere.Accounts.Mfa;

/// <summary>One of the ten codes that sign an admin or manager in when the phone is lost. Used once.</summary>
public sealed class RecoveryCode
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    public required byte[] CodeHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
