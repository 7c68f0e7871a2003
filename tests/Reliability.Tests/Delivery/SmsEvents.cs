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

    public static async Task<SmsEvents> StartAsync(string rabbitMqUri, string queueName)
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
        await bus.StartAsync(timeout.Token);
        return events;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StopAsync(timeout.Token);
    }
}
