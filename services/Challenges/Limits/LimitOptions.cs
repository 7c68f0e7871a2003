using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Challenges.Limits;

/// <summary>Send and rate limits, kept in Redis so they hold across replicas. Twilio Verify's
/// defaults are the baseline (5 sends per destination in 10 minutes).</summary>
public sealed class LimitOptions
{
    public const string SectionName = "Challenges:Limits";

    [Range(1, 100)] public int SendsPerDestination { get; set; } = 5;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan SendWindow { get; set; } = TimeSpan.FromMinutes(10);

    // Short-window rate limits per sender dimension; each refusal is `rate_limited` naming the limit.
    [Range(1, 100_000)] public int PerDestination { get; set; } = 3;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan PerDestinationWindow { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 100_000)] public int PerUser { get; set; } = 10;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan PerUserWindow { get; set; } = TimeSpan.FromHours(1);

    [Range(1, 100_000)] public int PerClientIp { get; set; } = 20;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan PerClientIpWindow { get; set; } = TimeSpan.FromMinutes(10);

    [Range(1, 1_000_000)] public int PerOrganisation { get; set; } = 300;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan PerOrganisationWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>SMS pumping walks through a number range: sends to numbers sharing all but the last
    /// <see cref="PrefixFreeDigits"/> digits are throttled together.</summary>
    [Range(1, 100_000)] public int PerNumberPrefix { get; set; } = 10;
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")] public TimeSpan PerNumberPrefixWindow { get; set; } = TimeSpan.FromMinutes(10);
    [Range(1, 6)] public int PrefixFreeDigits { get; set; } = 3;

    /// <summary>SMS per organisation per UTC day; refused at 100 %.</summary>
    [Range(1, 10_000_000)] public int DailySmsBudget { get; set; } = 1000;

    /// <summary>The share of <see cref="DailySmsBudget"/> only priority sends (admins' and managers'
    /// sign-in and step-up codes, security notices) may use, so that users texting themselves codes
    /// cannot lock the organisation's admins out for the day.</summary>
    [Range(0.0, 0.9)] public double PriorityReserveRatio { get; set; } = 0.2;

    /// <summary>SMS per UTC day across all organisations: beyond it only priority sends go, and they
    /// only until <see cref="PlatformPriorityReserve"/> more are spent. A cap on what SMS pumping
    /// through many organisations can cost.</summary>
    [Range(1, 100_000_000)] public int PlatformDailySmsCeiling { get; set; } = 50_000;
    [Range(0, 10_000_000)] public int PlatformPriorityReserve { get; set; } = 1_000;
}
