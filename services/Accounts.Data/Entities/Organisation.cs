namespace FlexWhere.Accounts.Organisations;

/// <summary>A tenant and its sign-in policy.</summary>
public sealed class Organisation
{
    public const int DefaultPinLength = 6;
    public const int MinPinLength = 4;
    public const int MaxPinLength = 8;
    public const int MaxTrustedDevicePeriodDays = 30;

    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>ISO 3166-1 alpha-2, e.g. "NL": the default for allowed SMS countries.</summary>
    public required string Country { get; set; }

    public bool MobileTotpRequired { get; set; }

    public bool MobilePinRequired { get; set; }

    public int PinLength { get; set; } = DefaultPinLength;

    public List<string> AllowedSmsCountries { get; set; } = [];

    public int TrustedDevicePeriodDays { get; set; } = MaxTrustedDevicePeriodDays;

    /// <summary>Second factors admins and managers may use in the Control Centre (<c>sms</c>, <c>totp</c>, <c>passkey</c>): SMS
    /// is always among them unless <see cref="AdminsNeedPasskey"/> rules it out for admins.</summary>
    public List<string> ControlCentreFactors { get; set; } = ["sms", "totp", "passkey"];

    /// <summary>Admins sign in to the Control Centre only with a passkey (phishing-resistant), recovery codes aside.</summary>
    public bool AdminsNeedPasskey { get; set; }

    /// <summary>A discoverable passkey with user verification signs in without the password.</summary>
    public bool PasswordlessSignIn { get; set; }

    /// <summary>Users and phone numbers come only from the organisation's own directory (import API).</summary>
    public bool LinkedDatabase { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public static Organisation Create(string name, string country, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Name = name,
        Country = country.ToUpperInvariant(),
        AllowedSmsCountries = [country.ToUpperInvariant()],
        CreatedAt = now,
    };
}
