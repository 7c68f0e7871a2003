using System.Collections.Concurrent;
using FlexWhere.Contracts;
using MassTransit;

namespace FlexWhere.Testing;

/// <summary>A listener on the real broker, standing where the Notifier will: it records every
/// SendSms published while it runs.</summary>
public sealed class SmsCapture : IAsyncDisposable
{
    private readonly IBusControl _bus;

    public ConcurrentQueue<SendSms> Sent { get; } = new();

    private SmsCapture(string rabbitMq)
    {
        _bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(rabbitMq));
            rabbit.ReceiveEndpoint($"sms-capture-{Guid.NewGuid():N}", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.Handler<SendSms>(context => { Sent.Enqueue(context.Message); return Task.CompletedTask; });
            });
        });
    }

    public static async Task<SmsCapture> StartAsync(string rabbitMq)
    {
        var capture = new SmsCapture(rabbitMq);
        await capture._bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return capture;
    }

    public async Task<SendSms> WaitForAsync(Func<SendSms, bool> match, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < until)
        {
            var found = Sent.FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(50);
        }

        throw new TimeoutException("No matching SendSms reached the broker.");
    }

    public Task<SendSms> WaitForChallengeAsync(string challengeId) => WaitForAsync(sms => sms.ChallengeId == challengeId);

    /// <summary>Gives the broker time to deliver anything in flight, then lists what matched.</summary>
    public async Task<List<SendSms>> SettledAsync(Func<SendSms, bool> match)
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        return [.. Sent.Where(match)];
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
