using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Auth;

/// <summary>RFC 8176 authentication method reference values.</summary>
public static class AuthMethods
{
    public const string Password = "pwd";
    public const string Sms = "sms";
    public const string Otp = "otp";
    public const string Pin = "pin";

    /// <summary>Not registered in RFC 8176: one of the user's one-time recovery codes.</summary>
    public const string RecoveryCode = "rec";

    /// <summary>Not registered in RFC 8176: a Control Centre browser trusted after an SMS code.</summary>
    public const string TrustedDevice = "dev";

    /// <summary>A passkey bound to one device (not backup-eligible): proof of possession of a hardware-secured key.</summary>
    public const string HardwareKey = "hwk";

    /// <summary>A synced passkey (backup-eligible): proof of possession of a software-secured key.</summary>
    public const string SoftwareKey = "swk";

    /// <summary>A passwordless sign-in: the passkey's user verification (PIN or biometric) is the second factor.</summary>
    public const string MultiFactor = "mfa";

    public static readonly IReadOnlySet<string> SecondFactors =
        new HashSet<string> { Sms, Otp, RecoveryCode, TrustedDevice, HardwareKey, SoftwareKey };

    public static readonly IReadOnlySet<string> PhishingResistant = new HashSet<string> { HardwareKey, SoftwareKey };
}

/// <summary>The assurance rule, in one place: who needs a second factor, on which client.</summary>
public static class Assurance
{
    public const string Aal1 = "aal1";
    public const string Aal2 = "aal2";

    /// <summary>A second factor that phishing cannot relay: a passkey, bound to this site's origin (OpenID's <c>phr</c>).</summary>
    public const string PhishingResistant = "phr";

    /// <summary>Every acr that means a second factor was proven.</summary>
    public static readonly string[] MultiFactorAcrs = [Aal2, PhishingResistant];

    public static bool IsMultiFactor(string? acr) => acr is Aal2 or PhishingResistant;

    /// <summary>Everyone on the Control Centre (MFA there cannot be switched off); admins and managers on
    /// every client (mobile included); employees on mobile where the organisation requires an authenticator app.</summary>
    public static bool NeedsSecondFactor(UserRole role, string client, Organisation organisation) =>
        client == Clients.ControlCentre || role is UserRole.Admin or UserRole.Manager || client == Clients.Mobile
            && organisation.MobileTotpRequired;

    public static string AcrFor(IReadOnlyCollection<string> amr) =>
        amr.Any(AuthMethods.PhishingResistant.Contains) ? PhishingResistant
        : amr.Any(AuthMethods.SecondFactors.Contains) ? Aal2 : Aal1;

    /// <summary>A session that no longer meets the rule (a promotion, a stricter policy) must end.</summary>
    public static bool Satisfies(string acr, UserRole role, string client, Organisation organisation) =>
        IsMultiFactor(acr) && (acr == PhishingResistant || !NeedsPasskey(role, client, organisation))
        || !NeedsSecondFactor(role, client, organisation);

    /// <summary>Admins of an organisation that asks for a phishing-resistant factor, in the Control Centre.</summary>
    public static bool NeedsPasskey(UserRole role, string client, Organisation organisation) =>
        organisation.AdminsNeedPasskey && role == UserRole.Admin && client == Clients.ControlCentre;
}

/// <summary>Why a session ended or a trusted device stopped vouching (<c>RevokedReason</c> of either): one vocabulary, as one
/// change to an account often ends both.</summary>
public static class RevocationReasons
{
    public const string Logout = "logout";
    public const string Reuse = "reuse";
    public const string UserDisabled = "user_disabled";
    public const string PhoneChanged = "phone_changed";
    public const string PasswordChanged = "password_changed";
    public const string PasswordReset = "password_reset";
    public const string RoleChanged = "role_changed";
    public const string MfaReset = "mfa_reset";
    public const string PolicyTightened = "policy_tightened";
    public const string DeviceRevoked = "device_revoked";
    public const string PinLocked = "pin_locked";
    public const string AssuranceTooLow = "assurance_too_low";
    public const string RevokedByUser = "revoked_by_user";
    public const string RevokedByAdmin = "revoked_by_admin";
}

public sealed class SessionLimits
{
    public const string Section = "Sessions";

    /// <summary>NIST SP 800-63B AAL2: re-authenticate at least every 12 hours.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00")] public TimeSpan ControlCentreLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>NIST SP 800-63B AAL2: at most 30 minutes of inactivity.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")] public TimeSpan ControlCentreIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    [Range(typeof(TimeSpan), "00:05:00", "365.00:00:00")] public TimeSpan MobileLifetime { get; set; } = TimeSpan.FromDays(30);

    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")] public TimeSpan MobileIdleTimeout { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How recent a second factor must be for a sensitive change.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")] public TimeSpan StepUpMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan LifetimeFor(string client) => client == Clients.Mobile ? MobileLifetime : ControlCentreLifetime;

    public TimeSpan IdleTimeoutFor(string client) => client == Clients.Mobile ? MobileIdleTimeout : ControlCentreIdleTimeout;
}
