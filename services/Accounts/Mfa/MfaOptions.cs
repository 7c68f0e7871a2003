using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Mfa;

public sealed class MfaOptions
{
    public const string Section = "Mfa";

    /// <summary>How long the client may take from the right password to the second factor.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "00:30:00")] public TimeSpan LoginTicketLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong recovery codes (and TOTP codes) one login ticket allows before it is dead.</summary>
    [Range(1, 10)] public int MaxAttemptsPerTicket { get; set; } = 5;
}
