namespace FlexWhere.Accounts.Mobile;

/// <summary>The PIN of one mobile session (the app on one device). Only a salted PBKDF2 hash is stored.</summary>
public sealed class MobilePin
{
    public Guid SessionId { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    public required string PinHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>Consecutive wrong PINs; the session is revoked when it reaches <c>Mobile:PinAttempts</c>.</summary>
    public int FailedAttempts { get; set; }
}
