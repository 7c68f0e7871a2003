using MassTransit;

namespace FlexWhere.Challenges.Sending;

/// <summary>The Notifier's reports become the challenge's delivery state. A failed SMS gives the
/// user their send back: it does not count against the number's send cap, and resend is open at once.</summary>
public sealed class DeliveryReportConsumer(ChallengeStore store, SendLimiter limiter, ILogger<DeliveryReportConsumer> logger)
    : IConsumer<SmsSent>, IConsumer<SmsDelivered>, IConsumer<SmsFailed>
{
    public Task Consume(ConsumeContext<SmsSent> context) =>
        store.RecordDeliveryAsync(context.Message.ChallengeId, context.Message.MessageId.ToString("N"),
            context.Message.ProviderMessageId, DeliveryStates.Sent, context.Message.SentAt, null);

    public Task Consume(ConsumeContext<SmsDelivered> context) =>
        store.RecordDeliveryAsync(context.Message.ChallengeId, null,
            context.Message.ProviderMessageId, DeliveryStates.Delivered, context.Message.DeliveredAt, null);

    public async Task Consume(ConsumeContext<SmsFailed> context)
    {
        var report = context.Message;
        // The destination names the windows to give the send back to; the release comes before the
        // record, so nobody sees "failed" while the send still counts.
        var challenge = await store.FindAsync(report.ChallengeId);
        if (challenge is null) return;
        if (Destination.Parse(challenge.Destination) is not { } destination)
        {
            await store.RecordDeliveryAsync(report.ChallengeId, report.MessageId?.ToString("N"), report.ProviderMessageId,
                DeliveryStates.Failed, report.FailedAt, report.Reason);
            return;
        }

        var (sends, rate) = limiter.DestinationWindows(destination);
        var changed = await store.RecordFailureAsync(report.ChallengeId, report.MessageId?.ToString("N"),
            report.ProviderMessageId, report.FailedAt, report.Reason, sends, rate);
        if (changed)
        {
            logger.LogInformation("SMS for challenge {ChallengeId} to {MaskedDestination} failed: {Reason}", report.ChallengeId,
                destination.Masked, report.Reason);
        }
    }
}

/// <summary>The one retry layer for delivery reports: a Redis blip should not send a report to the
/// error queue. Reports are idempotent (the script ignores a state already recorded).</summary>
public sealed class DeliveryReportConsumerDefinition : ConsumerDefinition<DeliveryReportConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DeliveryReportConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 2000));
}
