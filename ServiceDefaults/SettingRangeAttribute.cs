using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A setting's allowed range. The message names the setting by its configuration key (the options
/// class's <c>SectionName</c> and the property) and says the bounds in words, so an options class
/// states only the bounds: <c>[SettingRange("00:00:01", "00:05:00")]</c> on <c>PublishTimeout</c>
/// of <c>Notifier:Sending</c> fails start-up with "Notifier:Sending:PublishTimeout must be between
/// 1 second and 5 minutes."
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingRangeAttribute : RangeAttribute
{
    public SettingRangeAttribute(int minimum, int maximum) : base(minimum, maximum) { }

    public SettingRangeAttribute(double minimum, double maximum) : base(minimum, maximum) { }

    /// <summary>A <see cref="TimeSpan"/> range; the bounds in TimeSpan's invariant format ("00:00:05", "1.00:00:00").</summary>
    public SettingRangeAttribute(string minimum, string maximum) : base(typeof(TimeSpan), minimum, maximum)
    {
        ParseLimitsInInvariantCulture = true;
        ConvertValueInInvariantCulture = true;
    }

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        if (IsValid(value)) return ValidationResult.Success;

        var member = validationContext.MemberName ?? validationContext.DisplayName;
        var section = validationContext.ObjectType
            .GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string;
        var key = section is null ? member : $"{section}:{member}";
        return new ValidationResult($"{key} must be between {InWords(Minimum)} and {InWords(Maximum)}.", [member]);
    }

    // RangeAttribute holds a TimeSpan bound as the string it was given until the first check converts it.
    private static string InWords(object bound) => bound switch
    {
        TimeSpan span => InWords(span),
        string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) => InWords(span),
        _ => Convert.ToString(bound, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>"1 ms", "30 seconds", "10 minutes", "1 day": the largest unit the span is a whole number of.</summary>
    private static string InWords(TimeSpan span)
    {
        if (span.Ticks % TimeSpan.TicksPerDay == 0 && span >= TimeSpan.FromDays(1)) return Count(span.Days, "day");
        if (span.Ticks % TimeSpan.TicksPerHour == 0 && span >= TimeSpan.FromHours(1)) return Count((long)span.TotalHours, "hour");
        if (span.Ticks % TimeSpan.TicksPerMinute == 0 && span >= TimeSpan.FromMinutes(1)) return Count((long)span.TotalMinutes, "minute");
        if (span.Ticks % TimeSpan.TicksPerSecond == 0 && span >= TimeSpan.FromSeconds(1)) return Count((long)span.TotalSeconds, "second");
        return $"{span.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms";
    }

    private static string Count(long count, string unit) => count == 1 ? $"1 {unit}" : $"{count} {unit}s";
}
