namespace FlexWhere.Contracts;

/// <summary>
/// The only texts the suite sends by SMS. A <see cref="SendSms"/> names a template and a locale,
/// never a body, so nothing but a code and its lifetime can reach a phone.
/// </summary>
public static class SmsTemplates
{
    public const string OneTimeCode = "one-time-code";
    public const string DefaultLocale = "en";

    private static readonly Dictionary<(string TemplateId, string Locale), string> Texts = new()
    {
        [(OneTimeCode, "en")] = "Your FlexWhere code is {code}. It expires in {minutes} minutes.",
        [(OneTimeCode, "nl")] = "Je FlexWhere-code is {code}. Deze verloopt over {minutes} minuten.",
    };

    public static bool Exists(string templateId) => Texts.Keys.Any(key => key.TemplateId == templateId);

    /// <summary>The text in <paramref name="locale"/>, falling back to English for a locale without
    /// a translation; false for an unknown template.</summary>
    public static bool TryRender(string templateId, string locale, string code, int minutes, out string text)
    {
        if (!Texts.TryGetValue((templateId, locale), out var template) && !Texts.TryGetValue((templateId, DefaultLocale), out template))
        {
            text = "";
            return false;
        }

        text = template.Replace("{code}", code, StringComparison.Ordinal)
            .Replace("{minutes}", minutes.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        return true;
    }
}
