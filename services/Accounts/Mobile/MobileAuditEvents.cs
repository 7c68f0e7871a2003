namespace FlexWhere.Accounts.Mobile;

/// <summary>Audit events of FlexWhere for Mobile. Details never hold a secret, a code or a PIN.</summary>
public static class MobileAuditEvents
{
    public const string TotpEnrollmentStarted = "totp_enrollment_started";
    public const string TotpEnrollmentConfirmed = "totp_enrollment_confirmed";
    public const string TotpEnrollmentProven = "totp_enrollment_proven";
    public const string TotpFailed = "totp_failed";
    public const string TotpLocked = "totp_locked";
    public const string PinSet = "pin_set";
    public const string PinChanged = "pin_changed";
    public const string PinFailed = "pin_failed";
    public const string PinLocked = "pin_locked";
}
