namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>The provider pipeline's settings (section <c>Notifier:SmsResilience</c>).</summary>
public sealed class SmsResilienceOptions
{
    public const string SectionName = "Notifier:SmsResilience";

    [SettingRange(0, 6)]
    public int MaxRetryAttempts { get; set; } = 3;

    [SettingRange("00:00:00.001", "00:01:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After the pipeline waits for; a longer one is cut to this.</summary>
    [SettingRange("00:00:01", "00:05:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    [SettingRange("00:00:00.100", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Twilio long codes send about one message per second; faster sends are queued, not refused.</summary>
    [SettingRange(1, 100_000)]
    public int MessagesPerSecond { get; set; } = 1;

    /// <summary>The longest a send waits for its turn at <see cref="MessagesPerSecond"/> (shared by every replica); a send whose
    /// turn is further away fails (transiently) and MassTransit tries it again later. Unset: as long as this replica's own
    /// <c>Notifier:Sending:ConcurrentMessageLimit</c> sends take at the rate. With R replicas sending at full rate the queue
    /// is R times that: set it to R × ConcurrentMessageLimit / MessagesPerSecond for all of them to wait, and ClaimTtl above it
    /// (checked at start).</summary>
    [SettingRange("00:00:00.010", "00:10:00")]
    public TimeSpan? MaxRateWait { get; set; }

    /// <summary>Sends of this replica waiting for their turn; beyond this they fail (transiently) and MassTransit retries them.</summary>
    [SettingRange(1, 100_000)]
    public int QueueLimit { get; set; } = 1000;

    [SettingRange(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [SettingRange(2, 1000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [SettingRange("00:00:01", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [SettingRange("00:00:00.500", "00:10:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
