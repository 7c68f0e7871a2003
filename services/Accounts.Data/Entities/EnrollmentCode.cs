namespace FlexWhere.Accounts.Mobile;

/// <summary>A one-time code an administrator gives a user without a phone number, so the user can
/// link an authenticator app. Ten digits, read out over the phone; only its SHA-256 is kept, which
/// is enough for a code that works once, expires, and is guessed online under the per-user limit.</summary>
public sealed class EnrollmentCode : UserRecord
{
    public required byte[] CodeHash { get; set; }

    public Guid IssuedBy { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
