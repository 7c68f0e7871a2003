using System.Globalization;

namespace FlexWhere.Contracts;

// Messages between Accounts (publisher of SendEmail) and the Notifier (the only sender of e-mail).
// Like SMS, there is no free text on the wire: a message names a template and the values it fills in.

/// <summary>Send one e-mail from a template. Exactly one e-mail per <see cref="MessageId"/>.</summary>
public sealed record SendEmail
{
    public required Guid MessageId { get; init; }

    /// <summary>The address, for the mail server only; logs use <see cref="MaskedTo"/>.</summary>
    public required string To { get; init; }
    public required string MaskedTo { get; init; }
    public required string TemplateId { get; init; }
    public required string Locale { get; init; }
    public required string RecipientName { get; init; }
    public required string OrganisationName { get; init; }

    /// <summary>The single-use link the message carries (an invitation or a password reset), or for a security notice
    /// the Control Centre's address.</summary>
    public required string Link { get; init; }

    /// <summary>When the link stops working: the e-mail says so, and after it the message is dropped rather than sent.
    /// For a notice: when it is too old to be worth sending.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>What a notice names: a device, a masked number, a time. Never a code, a token or a full number.</summary>
    public string? Details { get; init; }
}

/// <summary>
/// The only e-mail texts in the suite, in English and Dutch (informal "je", as Dutch workplace software
/// writes to employees). Accounts names a template and a locale in <see cref="SendEmail"/>; the Notifier
/// renders it here. Plain text: every mail program shows it, and a link in it cannot hide another target.
/// </summary>
public static class EmailTemplates
{
    public const string Invitation = "invitation";
    public const string PasswordReset = "password-reset";

    /// <summary>Security notices: something changed on the account; the reader acts if it was not them.</summary>
    public const string NewDevice = "notice-new-device";
    public const string PhoneChanged = "notice-phone-changed";
    public const string FactorAdded = "notice-factor-added";
    public const string FactorRemoved = "notice-factor-removed";
    public const string RecoveryCodeUsed = "notice-recovery-code-used";
    public const string MfaReset = "notice-mfa-reset";
    public const string AccountLocked = "notice-account-locked";

    public static IReadOnlyList<string> Notices { get; } =
        [NewDevice, PhoneChanged, FactorAdded, FactorRemoved, RecoveryCodeUsed, MfaReset, AccountLocked];

    private const string NotYouEn = "Not you? Change your password at {2} and tell your administrator at once.";
    private const string NotYouNl = "Was jij dit niet? Wijzig je wachtwoord via {2} en meld het direct bij je beheerder.";

    public const string DefaultLocale = "en";

    /// <summary>The zone every FlexWhere text writes times in.</summary>
    public static readonly TimeZoneInfo Netherlands = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    // {0} name, {1} organisation, {2} link, {3} until when the link works, {4} the notice's details.
    private static readonly Dictionary<(string TemplateId, string Locale), (string Subject, string Body)> Texts = new()
    {
        [(Invitation, "en")] = ("Your FlexWhere account is ready",
            """
            Hello {0},

            {1} has made a FlexWhere account for you. Choose your password with this link to get started:

            {2}

            The link works once, until {3}. Not expecting this? Then you can ignore this e-mail.

            FlexWhere
            """),
        [(Invitation, "nl")] = ("Je FlexWhere-account staat klaar",
            """
            Hallo {0},

            {1} heeft een FlexWhere-account voor je aangemaakt. Kies via deze link je wachtwoord en je kunt aan de slag:

            {2}

            De link werkt één keer, tot {3}. Had je dit niet verwacht? Dan kun je deze e-mail negeren.

            FlexWhere
            """),
        [(PasswordReset, "en")] = ("Choose a new FlexWhere password",
            """
            Hello {0},

            Someone asked for a new password for your FlexWhere account at {1}. Choose one with this link:

            {2}

            The link works once, until {3}. A new password signs your account out everywhere else.
            Didn't ask for this? Then ignore this e-mail: your password stays as it is.

            FlexWhere
            """),
        [(PasswordReset, "nl")] = ("Kies een nieuw FlexWhere-wachtwoord",
            """
            Hallo {0},

            Er is een nieuw wachtwoord aangevraagd voor je FlexWhere-account bij {1}. Kies het via deze link:

            {2}

            De link werkt één keer, tot {3}. Met een nieuw wachtwoord word je overal elders uitgelogd.
            Heb je hier niet om gevraagd? Negeer deze e-mail dan: je wachtwoord blijft zoals het is.

            FlexWhere
            """),
        [(NewDevice, "en")] = Notice("Hello", "A new sign-in to your FlexWhere account",
            "Your FlexWhere account at {1} was signed in to on a new device: {4}.", NotYouEn),
        [(NewDevice, "nl")] = Notice("Hallo", "Nieuwe aanmelding op je FlexWhere-account",
            "Er is ingelogd op je FlexWhere-account bij {1} vanaf een nieuw apparaat: {4}.", NotYouNl),
        [(PhoneChanged, "en")] = Notice("Hello", "Your sign-in phone number was changed",
            "The phone number your FlexWhere sign-in codes go to was changed: {4}.", NotYouEn),
        [(PhoneChanged, "nl")] = Notice("Hallo", "Je telefoonnummer voor inloggen is gewijzigd",
            "Het telefoonnummer waarop je je FlexWhere-inlogcodes ontvangt, is gewijzigd: {4}.", NotYouNl),
        [(FactorAdded, "en")] = Notice("Hello", "A new way to sign in was added",
            "A new way to prove it is you was added to your FlexWhere account: {4}.", NotYouEn),
        [(FactorAdded, "nl")] = Notice("Hallo", "Nieuwe inlogmethode toegevoegd",
            "Er is een nieuwe inlogmethode toegevoegd aan je FlexWhere-account: {4}.", NotYouNl),
        [(FactorRemoved, "en")] = Notice("Hello", "A way to sign in was removed",
            "A way to prove it is you was removed from your FlexWhere account: {4}.", NotYouEn),
        [(FactorRemoved, "nl")] = Notice("Hallo", "Inlogmethode verwijderd",
            "Er is een inlogmethode verwijderd van je FlexWhere-account: {4}.", NotYouNl),
        [(RecoveryCodeUsed, "en")] = Notice("Hello", "A recovery code was used",
            "One of your FlexWhere recovery codes was used to sign in: {4}.", NotYouEn),
        [(RecoveryCodeUsed, "nl")] = Notice("Hallo", "Er is een herstelcode gebruikt",
            "Er is ingelogd met een van je FlexWhere-herstelcodes: {4}.", NotYouNl),
        [(MfaReset, "en")] = Notice("Hello", "Your sign-in factors were reset",
            "An administrator of {1} reset the ways you prove it is you: your trusted devices, recovery codes, passkeys, "
                + "authenticator app and app PIN are gone, and you sign in with a code by text message again.",
            "Not expecting this? Contact your administrator at once. You sign in at {2}."),
        [(MfaReset, "nl")] = Notice("Hallo", "Je inlogmethoden zijn opnieuw ingesteld",
            "Een beheerder van {1} heeft je inlogmethoden opnieuw ingesteld: je vertrouwde apparaten, herstelcodes, passkeys, "
                + "authenticator-app en app-pincode zijn verwijderd. Je logt weer in met een code per sms.",
            "Had je dit niet verwacht? Neem direct contact op met je beheerder. Inloggen doe je via {2}."),
        [(AccountLocked, "en")] = Notice("Hello", "Your FlexWhere account is locked for a while",
            "After too many wrong attempts your FlexWhere account is locked until {4}.",
            "Was it not you trying? Then someone else knows your e-mail address: change your password at {2} once the lock is over."),
        [(AccountLocked, "nl")] = Notice("Hallo", "Je FlexWhere-account is tijdelijk geblokkeerd",
            "Na te veel mislukte pogingen is je FlexWhere-account geblokkeerd tot {4}.",
            "Was jij dit niet? Dan kent iemand anders je e-mailadres: wijzig je wachtwoord via {2} zodra de blokkade voorbij is."),
    };

    private static (string Subject, string Body) Notice(string greeting, string subject, string what, string whatNext) =>
        (subject, $"{greeting} {{0}},\n\n{what}\n\n{whatNext}\n\nFlexWhere");

    public static bool Exists(string templateId, string locale) => Texts.ContainsKey((templateId, locale));

    /// <summary>The subject and the plain-text body; a locale without the template falls back to English.</summary>
    public static (string Subject, string Body) Render(SendEmail message)
    {
        var locale = Exists(message.TemplateId, message.Locale) ? message.Locale : DefaultLocale;
        if (!Texts.TryGetValue((message.TemplateId, locale), out var text))
        {
            throw new ArgumentException($"No e-mail template '{message.TemplateId}'.", nameof(message));
        }

        var body = string.Format(CultureInfo.InvariantCulture, text.Body, message.RecipientName, message.OrganisationName, message.Link,
            When(message.ExpiresAt, locale), message.Details ?? "");
        return (text.Subject, body.ReplaceLineEndings("\r\n"));
    }

    /// <summary>A notice's details for new recovery codes, in the reader's language.</summary>
    public static string RecoveryCodes(int count, string locale) =>
        locale == "nl" ? $"{count} nieuwe herstelcodes" : $"{count} new recovery codes";

    /// <summary>A notice's details for an authenticator app linked on the phone app.</summary>
    public static string AuthenticatorApp(string locale) =>
        locale == "nl" ? "een authenticator-app voor FlexWhere for Mobile" : "an authenticator app for FlexWhere for Mobile";

    /// <summary>A notice's details for a passkey, by the name its owner gave it.</summary>
    public static string Passkey(string name, string locale) => locale == "nl" ? $"de passkey \"{name}\"" : $"the passkey \"{name}\"";

    /// <summary>A notice's details for the authenticator app, wherever it is used.</summary>
    public static string Authenticator(string locale) => locale == "nl" ? "je authenticator-app" : "your authenticator app";

    /// <summary>A number in a notice: masked, or the words for none.</summary>
    public static string Number(string? masked, string locale) => masked ?? (locale == "nl" ? "geen nummer" : "no number");

    /// <summary>Dutch time, written the way each language writes a date: "3 december 2026 om 10:00" or
    /// "3 December 2026, 10:00 (Dutch time)".</summary>
    public static string When(DateTimeOffset at, string locale)
    {
        var local = TimeZoneInfo.ConvertTime(at, Netherlands);
        return locale == "nl"
            ? local.ToString("d MMMM yyyy 'om' HH:mm", CultureInfo.GetCultureInfo("nl-NL"))
            : local.ToString("d MMMM yyyy, HH:mm '(Dutch time)'", CultureInfo.GetCultureInfo("en-GB"));
    }
}
