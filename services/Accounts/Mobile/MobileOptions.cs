using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Mobile;

/// <summary>Limits of the mobile factors. TOTP has two: per login ticket (<c>Mfa:MaxAttemptsPerTicket</c>,
/// a ticket dies after a few wrong codes) and these, per user over a window, so that new tickets
/// cannot be used to keep guessing.</summary>
public sealed class MobileOptions
{
    public const string Section = "Mobile";

    /// <summary>The name authenticator apps show next to the account.</summary>
    [Required, RegularExpression("^[^:]{1,40}$")] public string TotpIssuer { get; set; } = "FlexWhere";

    [Range(3, 100)] public int TotpFailuresBeforeLock { get; set; } = 10;

    [Range(1, 1440)] public int TotpFailureWindowMinutes { get; set; } = 15;

    [Range(1, 1440)] public int TotpLockMinutes { get; set; } = 15;

    [Range(3, 10)] public int PinAttempts { get; set; } = 5;
}
