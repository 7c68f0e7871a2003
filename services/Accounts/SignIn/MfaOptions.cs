using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Mfa;

public sealed class MfaOptions
{
    public const string Section = "Mfa";

    /// <summary>How long the client may take from the right password to the second factor.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "00:30:00")] public TimeSpan LoginTicketLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong recovery codes (and TOTP codes) one login ticket allows before it is dead.</summary>
    [Range(1, 10)] public int MaxAttemptsPerTicket { get; set; } = 5;

    /// <summary>Consecutive wrong second-factor codes of one user, over every sign-in, before the factor
    /// locks (NIST SP 800-63B allows at most 100).</summary>
    [Range(3, 100)] public int MaxConsecutiveSecondFactorFailures { get; set; } = 10;

    [Range(1, 1440)] public int SecondFactorLockMinutes { get; set; } = 15;

    /// <summary>How long an admin's one-time authenticator enrollment code works.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "7.00:00:00")] public TimeSpan EnrollmentCodeLifetime { get; set; } = TimeSpan.FromHours(72);
}
