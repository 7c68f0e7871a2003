using MassTransit;

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

    /// <summary>What every sending queue has: durable, MassTransit's retry as the second layer (after the sender's own
    /// pipeline) kept small because each retry runs that whole pipeline again, and no retry for what
    /// <paramref name="final"/> says no retry can change. After the last retry: the queue's <c>_error</c> queue.</summary>
    public void ConfigureSendingEndpoint(IReceiveEndpointConfigurator endpoint, Action<IRetryConfigurator> final)
    {
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.Durable = true;
        endpoint.UseMessageRetry(retry =>
        {
            if (RetryLimit == 0) retry.None();
            else retry.Exponential(RetryLimit, RetryMinInterval, RetryMaxInterval, RetryMinInterval);
            final(retry);
        });
    }
}
