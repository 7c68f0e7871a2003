using System.Text;
using PhoneNumbers;

namespace FlexWhere.Challenges.Phones;

/// <summary>An E.164 number that libphonenumber accepts as valid, with its region (ISO 3166 alpha-2).</summary>
public sealed record Destination(string E164, string Region, string Masked)
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static Destination? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || !value.StartsWith('+')) return null;
        PhoneNumber number;
        try
        {
            number = Util.Parse(value, null);
        }
        catch (NumberParseException)
        {
            return null;
        }

        if (!Util.IsValidNumber(number)) return null;
        var e164 = Util.Format(number, PhoneNumberFormat.E164);
        if (e164 != value) return null;
        return new Destination(e164, Util.GetRegionCodeForNumber(number), Mask(number));
    }

    /// <summary>All but the last <paramref name="freeDigits"/> digits: numbers in one range share it.</summary>
    public string Prefix(int freeDigits) => E164[..Math.Max(2, E164.Length - freeDigits)];

    /// <summary><c>+31 6 •••• ••78</c>: country code, first national digit and the last two digits.</summary>
    public static string Mask(PhoneNumber number)
    {
        var national = Util.GetNationalSignificantNumber(number);
        var hidden = national.Length - 3;
        var masked = new StringBuilder();
        for (var i = 0; i < hidden + 2; i++)
        {
            if (i > 0 && i % 4 == 0) masked.Append(' ');
            masked.Append(i < hidden ? '•' : national[1 + i]);
        }

        return $"+{number.CountryCode} {national[0]} {masked}";
    }
}
