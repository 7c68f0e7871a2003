using MassTransit;
using MassTransit.RabbitMqTransport;
using RabbitMQ.Client;

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
/// A consumer's event that is refused or not confirmed also closes that consumer's channel (<see cref="RenewChannel"/>).
/// </summary>
public static class BoundedPublish
{
    /// <summary>What the broker and MassTransit's log are told when a channel is closed for an event not confirmed in time.</summary>
    public const string UnconfirmedReason = "An event published on this channel was refused or not confirmed";

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
            // MassTransit retries a publish the broker refused (a nack) as it does a lost connection, until this timeout, so a
            // refusal ends here too; and the channel it was refused on may refuse every later one (see RenewChannel).
            if (endpoint is ConsumeContext consumed)
            {
                var log = consumed.TryGetPayload(out IServiceProvider? services)
                    ? services.GetService<ILoggerFactory>()?.CreateLogger(typeof(BoundedPublish).FullName!)
                    : null;
                RenewChannel(consumed.ReceiveContext, log, UnconfirmedReason, late.GetType().Name);
            }

            throw new EventNotPublishedException(typeof(T).Name, timeout);
        }
        catch (MassTransitException unreachable)
        {
            // A bus that has given up on its broker for now fails at once ("Broker unreachable") instead of waiting.
            throw new EventNotPublishedException(typeof(T).Name, timeout, unreachable);
        }
    }

    /// <summary>
    /// Closes the channel a message came on, which MassTransit also publishes that message's events and its fault on, after a
    /// publish on it was refused or not confirmed in time (<paramref name="reason"/> goes to the broker and into MassTransit's
    /// log of the channel's shutdown). The receive endpoint then starts again on a new channel, and the broker hands out again
    /// what the old one had not acknowledged (this message too, which will find its SMS sent and publish the event again).
    /// RabbitMQ.Client 7.2.2 then also ends the whole connection (541, "The CancellationTokenSource has been disposed") and the
    /// bus connects again: every endpoint starts again (docs/reliability.md, "R1 on a RabbitMQ cluster").
    /// Needed on RabbitMQ 3.10 (Debian's): a channel whose first publish to a quorum queue comes while that queue has no leader
    /// (its leader's node has just died and the election is not over) has every later publish to that queue refused for as
    /// long as the channel lives, while a new channel's are confirmed (docs/reliability.md, "R1 on a RabbitMQ cluster").
    /// Not awaited: closing a channel waits for its consumers, and this can run inside one of them.
    /// </summary>
    internal static void RenewChannel(ReceiveContext received, ILogger? log, string reason, string failure)
    {
        if (!received.TryGetPayload(out ChannelContext? channel) || channel.Channel.IsClosed) return;
        log?.LogWarning("A message published on channel {Channel} of {Queue} was refused or not confirmed ({Failure}); closing the " +
            "channel so the endpoint starts again on a new one", channel.Channel.ChannelNumber, received.InputAddress, failure);
        _ = Task.Run(async () =>
        {
            try
            {
                await channel.Channel.CloseAsync(Constants.ReplySuccess, reason);
            }
            catch (Exception closing) when (closing is not OutOfMemoryException)
            {
                log?.LogDebug(closing, "The refused channel was closing already");
            }
        });
    }
}

/// <summary>RabbitMQ did not confirm an event in time; the operation that published it should be tried again.</summary>
public sealed class EventNotPublishedException(string eventName, TimeSpan timeout, Exception? cause = null)
    : Exception($"RabbitMQ did not confirm the {eventName} event within {timeout.TotalSeconds:0.#} s.", cause);
