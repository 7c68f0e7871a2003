using System.Globalization;

namespace FlexWhere.Contracts;

/// <summary>
/// The only SMS texts in the suite. Challenges names a template and a locale in <see cref="SendSms"/>;
/// the Notifier renders it here, so both sides agree on the words without free text on the wire.
/// </summary>
public static class SmsTemplates
{
    public const string OneTimeCode = "one-time-code";

    /// <summary>A notice to a user's old number that a change of their sign-in number is scheduled.
    /// It carries no code: the value <see cref="SendSms.Code"/> brings is the date the change takes
    /// effect, as <see cref="NoticeDate"/> writes it.</summary>
    public const string PhoneChangeScheduled = "phone-change-scheduled";

    /// <summary>A notice to a user's old number that their sign-in number was changed; <see cref="SendSms.Code"/> brings the
    /// date it happened.</summary>
    public const string PhoneChanged = "phone-changed";

    public const string DefaultLocale = "en";

    public static IReadOnlyList<string> Locales { get; } = ["en", "nl"];

    private static readonly Dictionary<(string TemplateId, string Locale), string> Texts = new()
    {
        [(OneTimeCode, "en")] = "Your FlexWhere code is {0}. It expires in {1} minutes.",
        [(OneTimeCode, "nl")] = "Je FlexWhere-code is {0}. Deze verloopt over {1} minuten.",
        [(PhoneChangeScheduled, "en")] =
            "FlexWhere: a change of the phone number you sign in with was requested. It takes effect on {0}. Not you? Contact your " +
            "administrator at once.",
        [(PhoneChangeScheduled, "nl")] =
            "FlexWhere: er is gevraagd om het telefoonnummer waarmee je inlogt te wijzigen. Dit gaat in op {0}. Was jij dit niet? " +
            "Neem dan direct contact op met je beheerder.",
        [(PhoneChanged, "en")] =
            "FlexWhere: the phone number you sign in with was changed on {0}; codes no longer come to this number. Not you? " +
            "Contact your administrator at once.",
        [(PhoneChanged, "nl")] =
            "FlexWhere: het telefoonnummer waarmee je inlogt is op {0} gewijzigd; codes komen niet meer naar dit nummer. " +
            "Was jij dit niet? Neem dan direct contact op met je beheerder.",
    };

    /// <summary>A notice's date, the same in both languages and unambiguous wherever the reader is.</summary>
    public static string NoticeDate(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static bool Exists(string templateId, string locale) => Texts.ContainsKey((templateId, locale));

    /// <summary>The SMS body. With an <paramref name="autofillDomain"/> a last line
    /// <c>@domain #code</c> lets phones offer the code for that site only (WebOTP / iOS autofill).</summary>
    public static string Render(string templateId, string locale, string code, int expiresInMinutes, string? autofillDomain = null)
    {
        if (!Texts.TryGetValue((templateId, locale), out var text))
        {
            throw new ArgumentException($"No SMS template '{templateId}' in locale '{locale}'.", nameof(templateId));
        }

        var body = string.Format(CultureInfo.InvariantCulture, text, code, expiresInMinutes);
        return string.IsNullOrWhiteSpace(autofillDomain) ? body : $"{body}\n\n@{autofillDomain} #{code}";
    }

    /// <summary>Whole minutes left until <paramref name="expiresAt"/>, at least 1.</summary>
    public static int MinutesLeft(DateTimeOffset expiresAt, DateTimeOffset now) =>
        Math.Max(1, (int)Math.Ceiling((expiresAt - now).TotalMinutes));
}
