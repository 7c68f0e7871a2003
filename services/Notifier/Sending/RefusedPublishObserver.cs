using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// A publish the broker refused (a nack) while a message was being handled gets that message's channel closed
/// (<see cref="BoundedPublish.RenewChannel"/>). MassTransit reports every refused attempt to the publish observers, so the
/// first refusal of anything published for the message closes the channel: the Notifier's events, and what MassTransit
/// publishes itself, above all the <c>Fault</c> of a message given up after its retries (<see cref="BoundedPublish"/> still
/// closes it for a publish that is never confirmed). On RabbitMQ 3.10 that fault, refused on a spoiled channel, kept the
/// message from ever reaching the error queue:
/// the message came back, failed its retries and had its fault refused again, for as long as the channel lived (a clean-clone
/// run of R1, 2026-12-01; docs/reliability.md). Only a refusal counts: a cancelled or timed-out publish proves nothing about
/// the channel. Publishes outside a consumer (none in the Notifier's sending path) carry no channel and are left alone.
/// </summary>
public sealed class RefusedPublishObserver(ILogger<RefusedPublishObserver> logger) : IPublishObserver
{
    public const string Reason = "A message published on this channel was refused by the broker";

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class
    {
        if (RefusedByBroker(exception) && context.TryGetPayload(out ConsumeContext? consumed))
        {
            BoundedPublish.RenewChannel(consumed.ReceiveContext, logger, Reason, exception.GetType().Name);
        }

        return Task.CompletedTask;
    }

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    /// <summary>A nack from the broker anywhere in the exception's causes (MassTransit wraps it in its own exceptions).</summary>
    private static bool RefusedByBroker(Exception exception)
    {
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            if (cause is RabbitMQ.Client.Exceptions.PublishException) return true;
            if (cause is AggregateException aggregate && aggregate.InnerExceptions.Any(RefusedByBroker)) return true;
        }

        return false;
    }
}
