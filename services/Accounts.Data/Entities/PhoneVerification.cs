namespace FlexWhere.Accounts.Mfa;

/// <summary>A number the user asked to use, waiting for the code sent to it.</summary>
public sealed class PhoneVerification : UserRecord
{
    public required byte[] TokenHash { get; set; }

    /// <summary>E.164.</summary>
    public required string PhoneNumber { get; set; }

    public required string ChallengeId { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }
}
