using PhoneNumbers;

namespace FlexWhere.Accounts.Users;

public sealed record PhoneCheck(string? E164, string? ErrorCode, string? ErrorMessage)
{
    public bool IsValid => ErrorCode is null;
}

/// <summary>Phone numbers for SMS codes: international form only, mobile numbers only.</summary>
public static class Phones
{
    public const string CountryCodeMissing = "phone_country_code_missing";
    public const string Invalid = "phone_invalid";
    public const string FixedLine = "phone_fixed_line";
    public const string PremiumRate = "phone_premium_rate";
    public const string NotMobile = "phone_not_mobile";

    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static PhoneCheck Check(string input)
    {
        var text = input.Trim();
        if (text.StartsWith("00", StringComparison.Ordinal)) text = "+" + text[2..];
        if (!text.StartsWith('+'))
        {
            return new(null, CountryCodeMissing,
                "Enter the phone number with its country code, e.g. +31 6 12345678 for the Netherlands (+31) instead of 06 12345678.");
        }

        PhoneNumber number;
        try
        {
            number = Util.Parse(text, "ZZ");
        }
        catch (NumberParseException)
        {
            return new(null, Invalid, "This is not a valid phone number. Enter it in international form, e.g. +31 6 12345678.");
        }

        if (!Util.IsValidNumber(number))
        {
            return new(null, Invalid, "This is not a valid phone number. Check the digits and the country code, e.g. +31 6 12345678.");
        }

        return Util.GetNumberType(number) switch
        {
            PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE => new(Util.Format(number, PhoneNumberFormat.E164), null, null),
            PhoneNumberType.FIXED_LINE =>
                new(null, FixedLine, "This is a fixed-line number, which cannot receive text messages. Enter a mobile number."),
            PhoneNumberType.PREMIUM_RATE =>
                new(null, PremiumRate, "This is a premium-rate number, which cannot be used for codes. Enter a mobile number."),
            _ => new(null, NotMobile, "This number cannot receive text messages (not a mobile number). Enter a mobile number."),
        };
    }

    /// <summary>ISO 3166-1 alpha-2 region of an E.164 number, e.g. "NL".</summary>
    public static string RegionOf(string e164) => Util.GetRegionCodeForNumber(Util.Parse(e164, "ZZ"));

    /// <summary>Whether an organisation allowing <paramref name="allowedCountries"/> sends SMS to this number.</summary>
    public static bool CountryAllowed(string e164, IEnumerable<string> allowedCountries) =>
        allowedCountries.Contains(RegionOf(e164), StringComparer.OrdinalIgnoreCase);

    public static bool IsKnownRegion(string region) => Util.GetSupportedRegions().Contains(region);

    /// <summary>Country code and first digit, the last two digits, the rest hidden:
    /// <c>+31612345678</c> → <c>+31 6 •••• ••78</c>. The form used in logs, the audit log and for other users.</summary>
    public static string Mask(string e164)
    {
        var number = Util.Parse(e164, "ZZ");
        var national = Util.GetNationalSignificantNumber(number);
        if (national.Length < 4) return $"+{number.CountryCode} ••••";

        var hidden = national[1..];
        var masked = new string('•', hidden.Length - 2) + hidden[^2..];
        // Groups of four counted from the end, so the visible digits close the last group.
        var groups = new List<string>();
        for (var end = masked.Length; end > 0; end -= 4) groups.Insert(0, masked[Math.Max(0, end - 4)..end]);
        return $"+{number.CountryCode} {national[0]} {string.Join(' ', groups)}";
    }
}
