namespace FlexWhere.Notifier.Sending;

public sealed class SendingOptions
{
    public const string SectionName = "Notifier:Sending";

    /// <summary>How long a replica holds a message while it sends it. It must outlast the longest
    /// run of the provider pipeline (rate-limit queue, attempts, back-off), or a second replica could
    /// send the same message while the first is still trying.</summary>
    [SettingRange("00:00:05", "00:30:00")]
    public TimeSpan ClaimTtl { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long the "already sent" record lives: longer than any redelivery can arrive.</summary>
    [SettingRange("00:10:00", "30.00:00:00")]
    public TimeSpan SentRecordTtl { get; set; } = TimeSpan.FromDays(2);

    /// <summary>MassTransit's retries after the provider pipeline gave up; then the error queue.
    /// Kept small: every retry here runs the whole provider pipeline again.</summary>
    [SettingRange(0, 5)]
    public int RetryLimit { get; set; } = 2;

    [SettingRange("00:00:00.010", "00:10:00")]
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromSeconds(10);

    [SettingRange("00:00:00.010", "00:30:00")]
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long publishing an event (SmsSent, SmsFailed, SmsDelivered) may wait for RabbitMQ's
    /// confirm before the consumer or callback gives up and the work is tried again.</summary>
    [SettingRange("00:00:01", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(15);

    [SettingRange(1, 100)]
    public int ConcurrentMessageLimit { get; set; } = 8;
}
