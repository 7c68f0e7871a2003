using System.Collections.Concurrent;
using FlexWhere.Contracts;
using FlexWhere.Messaging;
using MassTransit;
using Microsoft.Extensions.Hosting;

namespace FlexWhere.Reliability.Tests.Delivery;

/// <summary>
/// A bus of the test's own on the real RabbitMQ, as Challenges has: publishes SendSms and keeps the
/// SmsSent and SmsFailed events per message. Its queue is a quorum queue, so events outlive a broker node.
/// </summary>
public sealed class SmsEvents : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private SmsEvents(IBusControl bus) => _bus = bus;

    public ConcurrentDictionary<Guid, int> Sent { get; } = new();

    public ConcurrentDictionary<Guid, SmsFailed> Failed { get; } = new();

    public IPublishEndpoint Publisher => _bus;

    public int Settled => Sent.Keys.Union(Failed.Keys).Count();

    /// <summary>Starts the bus; a start that fails (its quorum queue's declaration can time out on busy cores) is tried
    /// twice more with a new bus.</summary>
    public static async Task<SmsEvents> StartAsync(string rabbitMqUri, string queueName)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(rabbitMqUri, queueName);
            }
            catch (MassTransit.RabbitMqConnectionException) when (attempt < 3)
            {
            }
        }
    }

    private static async Task<SmsEvents> TryStartAsync(string rabbitMqUri, string queueName)
    {
        SmsEvents? events = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            MessagingExtensions.UseHost(rabbit, BrokerAddress.Parse(rabbitMqUri)!);
            rabbit.ReceiveEndpoint(queueName, endpoint =>
            {
                endpoint.SetQuorumQueue();
                endpoint.Handler<SmsSent>(context =>
                {
                    events!.Sent.AddOrUpdate(context.Message.MessageId, 1, (_, count) => count + 1);
                    return Task.CompletedTask;
                });
                endpoint.Handler<SmsFailed>(context =>
                {
                    if (context.Message.MessageId is { } id) events!.Failed[id] = context.Message;
                    return Task.CompletedTask;
                });
            });
        });
        events = new SmsEvents(bus);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await bus.StartAsync(timeout.Token);
        }
        catch (MassTransit.RabbitMqConnectionException)
        {
            // Stop what did start (its connection); the start's own failure is the one to report.
            try
            {
                await events.DisposeAsync();
            }
            catch (Exception stopping) when (stopping is not OutOfMemoryException)
            {
            }

            throw;
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StopAsync(timeout.Token);
    }
}
