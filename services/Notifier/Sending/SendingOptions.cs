using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Notifier.Sending;

public sealed class SendingOptions
{
    public const string SectionName = "Notifier:Sending";

    /// <summary>How long a replica holds a message while it sends it. It must outlast the longest
    /// run of the provider pipeline (rate-limit queue, attempts, back-off), or a second replica could
    /// send the same message while the first is still trying.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00", ErrorMessage = "Notifier:Sending:ClaimTtl must be between 5 seconds and 30 minutes.")]
    public TimeSpan ClaimTtl { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long the "already sent" record lives: longer than any redelivery can arrive.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "30.00:00:00", ErrorMessage = "Notifier:Sending:SentRecordTtl must be between 10 minutes and 30 days.")]
    public TimeSpan SentRecordTtl { get; set; } = TimeSpan.FromDays(2);

    /// <summary>MassTransit's retries after the provider pipeline gave up; then the error queue.
    /// Kept small: every retry here runs the whole provider pipeline again.</summary>
    [Range(0, 5, ErrorMessage = "Notifier:Sending:RetryLimit must be between 0 and 5.")]
    public int RetryLimit { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Notifier:Sending:RetryMinInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:30:00", ErrorMessage = "Notifier:Sending:RetryMaxInterval must be between 10 ms and 30 minutes.")]
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long publishing an event (SmsSent, SmsFailed, SmsDelivered) may wait for RabbitMQ's
    /// confirm before the consumer or callback gives up and the work is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Notifier:Sending:PublishTimeout must be between 1 second and 5 minutes.")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1, 100, ErrorMessage = "Notifier:Sending:ConcurrentMessageLimit must be between 1 and 100.")]
    public int ConcurrentMessageLimit { get; set; } = 8;
}
