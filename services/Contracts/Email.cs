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

    /// <summary>The single-use link the message carries (an invitation or a password reset).</summary>
    public required string Link { get; init; }

    /// <summary>When the link stops working: the e-mail says so, and after it the message is dropped rather than sent.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
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

    public const string DefaultLocale = "en";

    private static readonly TimeZoneInfo Netherlands = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    // {0} name, {1} organisation, {2} link, {3} until when the link works.
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
    };

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
            Until(message.ExpiresAt, locale));
        return (text.Subject, body.ReplaceLineEndings("\r\n"));
    }

    /// <summary>Dutch time, written the way each language writes a date: "3 december 2026 om 10:00" or
    /// "3 December 2026, 10:00 (Dutch time)".</summary>
    private static string Until(DateTimeOffset at, string locale)
    {
        var local = TimeZoneInfo.ConvertTime(at, Netherlands);
        return locale == "nl"
            ? local.ToString("d MMMM yyyy 'om' HH:mm", CultureInfo.GetCultureInfo("nl-NL"))
            : local.ToString("d MMMM yyyy, HH:mm '(Dutch time)'", CultureInfo.GetCultureInfo("en-GB"));
    }
}
