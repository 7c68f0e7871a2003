using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>The provider pipeline's settings (section <c>Notifier:SmsResilience</c>).</summary>
public sealed class SmsResilienceOptions
{
    public const string SectionName = "Notifier:SmsResilience";

    [Range(0, 6, ErrorMessage = "Notifier:SmsResilience:MaxRetryAttempts must be between 0 and 6.")]
    public int MaxRetryAttempts { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Notifier:SmsResilience:BaseDelay must be between 1 ms and 1 minute.")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After the pipeline waits for; a longer one is cut to this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Notifier:SmsResilience:MaxRetryAfter must be between 1 second and 5 minutes.")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Notifier:SmsResilience:AttemptTimeout must be between 100 ms and 1 minute.")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Twilio long codes send about one message per second; faster sends are queued, not refused.</summary>
    [Range(1, 100_000, ErrorMessage = "Notifier:SmsResilience:MessagesPerSecond must be between 1 and 100000.")]
    public int MessagesPerSecond { get; set; } = 1;

    /// <summary>Sends waiting for the rate limiter; beyond this they fail (transiently) and MassTransit retries them.</summary>
    [Range(1, 100_000, ErrorMessage = "Notifier:SmsResilience:QueueLimit must be between 1 and 100000.")]
    public int QueueLimit { get; set; } = 1000;

    [Range(0.01, 1.0, ErrorMessage = "Notifier:SmsResilience:BreakerFailureRatio must be between 0.01 and 1.")]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 1000, ErrorMessage = "Notifier:SmsResilience:BreakerMinimumThroughput must be between 2 and 1000.")]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Notifier:SmsResilience:BreakerSamplingDuration must be between 1 second and 10 minutes.")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00", ErrorMessage = "Notifier:SmsResilience:BreakDuration must be between 500 ms and 10 minutes.")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
