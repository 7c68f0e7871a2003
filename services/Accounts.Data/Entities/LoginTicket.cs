namespace FlexWhere.Accounts.Mfa;

public static class SecondFactors
{
    public const string Sms = "sms";
    public const string Totp = "totp";
    public const string TotpEnrollment = "totp_enrollment";
    public const string Passkey = "passkey";
    public const string RecoveryCode = "recovery_code";

    /// <summary>The factors an organisation may allow in the Control Centre.</summary>
    public static readonly IReadOnlyList<string> ControlCentre = [Sms, Totp, Passkey];
}

/// <summary>The password was right; this is what the client holds until the second factor is done.
/// Stored as SHA-256 of the random value the client got.</summary>
public sealed class LoginTicket : UserRecord
{
    public required byte[] TokenHash { get; set; }

    /// <summary>The role when the password was checked: a role change in between ends the ticket.</summary>
    public UserRole Role { get; set; }

    public required string Client { get; set; }

    /// <summary><see cref="SecondFactors"/>.</summary>
    public required string Method { get; set; }

    /// <summary>The SMS challenge at Challenges, for <see cref="SecondFactors.Sms"/>.</summary>
    public string? ChallengeId { get; set; }

    /// <summary>Set for a step-up: the session the code is to refresh. Such a ticket never signs anyone in,
    /// and a sign-in ticket never steps a session up.</summary>
    public Guid? StepUpSessionId { get; set; }

    /// <summary>For <see cref="SecondFactors.TotpEnrollment"/>: when the user proved a second thing (the SMS
    /// code, or an admin's enrollment code) that lets them link an authenticator.</summary>
    public DateTimeOffset? EnrollmentProvenAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }

    /// <summary>Wrong codes and recovery codes on this ticket (SMS attempts are also counted by Challenges).</summary>
    public int FailedAttempts { get; set; }

    public bool IsUsable(DateTimeOffset now) => ConsumedAt is null && ExpiresAt > now;
}
