namespace FlexWhere.Accounts.Mfa;

/// <summary>One of the ten codes that sign an admin or manager in when the phone is lost. Used once.</summary>
public sealed class RecoveryCode : UserRecord
{
    public required byte[] CodeHash { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
