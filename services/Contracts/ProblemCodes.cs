namespace FlexWhere.Contracts;

/// <summary>
/// Every <c>code</c> member a FlexWhere service answers in a problem (RFC 9457), in one place so that
/// the services, their typed clients and the tests name them alike. docs/problems.md says for each when
/// it is answered and what a client should do.
/// </summary>
public static class ProblemCodes
{
    // Generic: the framework's own refusals, and anything no handler named more precisely (ForStatus).
    public const string ValidationFailed = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RateLimited = "rate_limited";
    public const string ServiceUnavailable = "service_unavailable";
    public const string InternalError = "internal_error";

    // Gateway: the access token.
    public const string AuthenticationRequired = "authentication_required";
    public const string TokenExpired = "token_expired";
    public const string InvalidToken = "invalid_token";

    // Accounts: sign-in and sessions.
    public const string InvalidCredentials = "invalid_credentials";
    public const string UsernameLoginDisabled = "username_login_disabled";
    public const string AccountLocked = "account_locked";
    public const string AccountDisabled = "account_disabled";
    public const string SessionRevoked = "session_revoked";
    public const string AccountsUnavailable = "accounts_unavailable";
    public const string SignInBusy = "sign_in_busy";

    // Accounts: second factors and step-up.
    public const string InvalidCode = "invalid_code";
    public const string TooManyAttempts = "too_many_attempts";
    public const string ChallengeExpired = "challenge_expired";
    public const string SecondFactorLocked = "second_factor_locked";
    public const string InvalidRecoveryCode = "invalid_recovery_code";
    public const string NotAnSmsSignIn = "not_an_sms_sign_in";
    public const string PhoneNumberMissing = "phone_number_missing";
    public const string MfaUnavailable = "mfa_unavailable";
    public const string StepUpRequired = "step_up_required";
    public const string StepUpMethodNotAvailable = "step_up_method_not_available";
    public const string InvalidPassword = "invalid_password";
    public const string EnrollmentProofRequired = "enrollment_proof_required";
    public const string TotpNotEnrolled = "totp_not_enrolled";
    public const string TotpAlreadyEnrolled = "totp_already_enrolled";

    // Accounts: the mobile PIN.
    public const string PinSetupRequired = "pin_setup_required";
    public const string PinRequired = "pin_required";
    public const string PinTooWeak = "pin_too_weak";
    public const string CurrentPinRequired = "current_pin_required";
    public const string PinNotSet = "pin_not_set";
    public const string PinNotRequired = "pin_not_required";
    public const string InvalidPin = "invalid_pin";
    public const string NotAMobileSession = "not_a_mobile_session";

    // Accounts: users, phone numbers and the organisation.
    public const string EmailInvalid = "email_invalid";
    public const string EmailTaken = "email_taken";
    public const string PasswordTooShort = "password_too_short";
    public const string PasswordTooLong = "password_too_long";
    public const string PasswordTooCommon = "password_too_common";
    public const string PasswordTooPredictable = "password_too_predictable";
    public const string LinkExpired = "link_expired";
    public const string AlreadySignedUp = "already_signed_up";
    public const string OwnAccount = "own_account";
    public const string ManagedByLinkedDatabase = "managed_by_linked_database";
    public const string LinkedDatabaseNotEnabled = "linked_database_not_enabled";
    public const string ImportTooLarge = "import_too_large";
    public const string PhoneCountryCodeMissing = "phone_country_code_missing";
    public const string PhoneInvalid = "phone_invalid";
    public const string PhoneFixedLine = "phone_fixed_line";
    public const string PhonePremiumRate = "phone_premium_rate";
    public const string PhoneNotMobile = "phone_not_mobile";
    public const string PhoneUnchanged = "phone_unchanged";
    public const string VerifyNewNumber = "verify_new_number";
    public const string PhoneChangeClosed = "phone_change_closed";
    public const string SecondAdminRequired = "second_admin_required";
    public const string ApproverTooNew = "approver_too_new";
    public const string SmsMfaRequired = "sms_mfa_required";
    public const string PinLengthOutOfRange = "pin_length_out_of_range";
    public const string TrustedDevicePeriodOutOfRange = "trusted_device_period_out_of_range";
    public const string CountryUnknown = "country_unknown";

    // Challenges: codes by text message (Accounts passes the ones a person can act on through).
    public const string ChallengeNotFound = "challenge_not_found";
    public const string ChallengeAlreadyUsed = "challenge_already_used";
    public const string ChallengeClosed = "challenge_closed";
    public const string ChallengeBusy = "challenge_busy";
    public const string CodeNotSent = "code_not_sent";
    public const string ResendTooSoon = "resend_too_soon";
    public const string SendLimitReached = "send_limit_reached";
    public const string SmsBudgetExhausted = "sms_budget_exhausted";
    public const string SmsNotSent = "sms_not_sent";
    public const string CountryNotAllowed = "country_not_allowed";
    public const string UnknownNoticeKind = "unknown_notice_kind";
    public const string UnauthorizedService = "unauthorized_service";
    public const string OperatorKeyRequired = "operator_key_required";
    public const string PasskeyPromptExpired = "passkey_prompt_expired";
    public const string PasskeyNotAccepted = "passkey_not_accepted";
    public const string PasskeyRequired = "passkey_required";
    public const string PasskeyRequiredFirst = "passkey_required_first";
    public const string LastPasskey = "last_passkey";
    public const string PasswordlessNotAllowed = "passwordless_not_allowed";
    public const string FactorNotAllowed = "factor_not_allowed";
    public const string SecondFactorNotAllowed = "second_factor_not_allowed";
    public const string ChallengesUnavailable = "challenges_unavailable";

    // Notifier: Twilio's delivery reports.
    public const string TwilioSignatureMissing = "twilio_signature_missing";
    public const string TwilioSignatureInvalid = "twilio_signature_invalid";
    public const string ReportNotQueued = "report_not_queued";

    /// <summary>The code of a problem that no handler named more precisely (the framework's own, say).</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => ValidationFailed,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => RateLimited,
        503 => ServiceUnavailable,
        _ => InternalError,
    };
}
