using System.Collections.Concurrent;
using FlexWhere.Contracts;
using MassTransit;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>
/// A bus of the test's own on the real RabbitMQ, as Challenges would have: publishes SendSms and
/// collects the events the Notifier publishes on its temporary queue.
/// </summary>
public sealed class EventListener : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private EventListener(IBusControl bus) => _bus = bus;

    public ConcurrentQueue<SmsSent> Sent { get; } = new();
    public ConcurrentQueue<SmsDelivered> Delivered { get; } = new();
    public ConcurrentQueue<SmsFailed> Failed { get; } = new();

    public IPublishEndpoint Publisher => _bus;

    public static async Task<EventListener> StartAsync(string rabbitMqUri)
    {
        EventListener? listener = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(rabbitMqUri));
            rabbit.ReceiveEndpoint($"test-sms-events-{Guid.NewGuid():N}", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.Handler<SmsSent>(context => { listener!.Sent.Enqueue(context.Message); return Task.CompletedTask; });
                endpoint.Handler<SmsDelivered>(context => { listener!.Delivered.Enqueue(context.Message); return Task.CompletedTask; });
                endpoint.Handler<SmsFailed>(context => { listener!.Failed.Enqueue(context.Message); return Task.CompletedTask; });
            });
        });
        listener = new EventListener(bus);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.StartAsync(timeout.Token);
        return listener;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
