using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// Publishes an event and waits for RabbitMQ's confirm for a bounded time. RabbitMQ.Client 7 waits
/// for a publisher confirm without limit, and after a broker restart a confirm for a channel that died
/// may never come (rabbitmq-dotnet-client#1930): the consumer would hang, and MassTransit cannot
/// restart the receive endpoint while a consumer is still running, so the queue would stall for good.
/// With a bound, the consumer fails instead; the SendSms comes back (retry or redelivery), finds the
/// SMS already sent and publishes its event again.
/// The bound does not rely on the publish honouring its cancellation token: a clean-clone run (2026-11-30)
/// saw a consumer publishing SmsSent across a broker restart never return, token or not, and send-sms stall
/// for good. The caller stops waiting after the timeout; the abandoned publish ends (or fails) on its own.
/// </summary>
public static class BoundedPublish
{
    public static async Task PublishWithinAsync<T>(this IPublishEndpoint endpoint, T message, TimeSpan timeout,
        CancellationToken cancellationToken)
        where T : class
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var publish = endpoint.Publish(message, bounded.Token);
        try
        {
            await publish.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception late) when (late is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Observed, so a publish that fails after it was given up on is not an unobserved task exception.
            _ = publish.ContinueWith(abandoned => abandoned.Exception, TaskContinuationOptions.OnlyOnFaulted);
            throw new EventNotPublishedException(typeof(T).Name, timeout);
        }
        catch (MassTransitException unreachable)
        {
            // A bus that has given up on its broker for now fails at once ("Broker unreachable") instead of waiting.
            throw new EventNotPublishedException(typeof(T).Name, timeout, unreachable);
        }
    }
}

/// <summary>RabbitMQ did not confirm an event in time; the operation that published it should be tried again.</summary>
public sealed class EventNotPublishedException(string eventName, TimeSpan timeout, Exception? cause = null)
    : Exception($"RabbitMQ did not confirm the {eventName} event within {timeout.TotalSeconds:0.#} s.", cause);
