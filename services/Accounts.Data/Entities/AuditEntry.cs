namespace FlexWhere.Accounts.Audit;

/// <summary>One security event. Details never hold a full phone number, a code, a password or a token.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public Guid OrganisationId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Event { get; set; }

    public Guid? ActorUserId { get; set; }

    public Guid? SubjectUserId { get; set; }

    public string? ClientIp { get; set; }

    public string? Details { get; set; }
}

public static class AuditEvents
{
    public const string SignInSucceeded = "sign_in_succeeded";
    public const string SignInFailed = "sign_in_failed";
    public const string SignInRefused = "sign_in_refused";
    public const string AccountLocked = "account_locked";
    public const string TokenRefreshed = "token_refreshed";
    public const string TokenRevoked = "token_revoked";
    public const string TokenReuseDetected = "token_reuse_detected";
    public const string UserCreated = "user_created";
    public const string UserUpdated = "user_updated";
    public const string UserDisabled = "user_disabled";
    public const string UserEnabled = "user_enabled";
    public const string UserDeleted = "user_deleted";
    public const string PhoneChanged = "phone_changed";
    public const string SettingsChanged = "settings_changed";
    public const string Import = "import";
    public const string MfaCodeSent = "mfa_code_sent";
    public const string MfaCodeFailed = "mfa_code_failed";
    public const string MfaSendFailed = "mfa_send_failed";
    public const string MfaVerified = "mfa_verified";
    public const string TrustedDeviceAdded = "trusted_device_added";
    public const string TrustedDeviceUsed = "trusted_device_used";
    public const string TrustedDevicesRevoked = "trusted_devices_revoked";
    public const string RecoveryCodesGenerated = "recovery_codes_generated";
    public const string RecoveryCodeUsed = "recovery_code_used";
    public const string RecoveryCodeFailed = "recovery_code_failed";
    public const string MfaReset = "mfa_reset";
    public const string PhoneVerificationSent = "phone_verification_sent";
    public const string PhoneVerified = "phone_verified";
    public const string PhoneChangeRequested = "phone_change_requested";
    public const string PhoneChangeApproved = "phone_change_approved";
    public const string PhoneChangeRejected = "phone_change_rejected";
    public const string PasswordChanged = "password_changed";
    public const string InvitationSent = "invitation_sent";
    public const string InvitationAccepted = "invitation_accepted";
    public const string PasswordResetRequested = "password_reset_requested";
    public const string PasswordReset = "password_reset";
    public const string PasswordLinkCodeSent = "password_link_code_sent";
    public const string LocaleChanged = "locale_changed";
    public const string SecondFactorLocked = "second_factor_locked";
    public const string AccountUnlocked = "account_unlocked";
    public const string SessionsEnded = "sessions_ended";
    public const string StepUpSucceeded = "step_up_succeeded";
    public const string StepUpFailed = "step_up_failed";
    public const string EnrollmentCodeIssued = "totp_enrollment_code_issued";
    public const string EnrollmentProofFailed = "totp_enrollment_proof_failed";
    public const string PhoneChangeScheduled = "phone_change_scheduled";
    public const string OrganisationCreated = "organisation_created";
    public const string PasskeyRegistered = "passkey_registered";
    public const string PasskeyRenamed = "passkey_renamed";
    public const string PasskeyRemoved = "passkey_removed";
    public const string PasskeyRefused = "passkey_refused";
    public const string PasskeyCounterAnomaly = "passkey_counter_anomaly";
    public const string AuthenticatorRemoved = "authenticator_removed";
}
