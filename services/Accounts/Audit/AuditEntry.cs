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
}
