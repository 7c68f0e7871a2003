using System.Collections.Concurrent;
using FlexWhere.Contracts;
using MassTransit;

namespace FlexWhere.Testing;

/// <summary>A listener on the real broker, standing where the Notifier will: it records every
/// <typeparamref name="T"/> published while it runs.</summary>
public class BrokerCapture<T> : IAsyncDisposable where T : class
{
    private readonly IBusControl _bus;

    public ConcurrentQueue<T> Sent { get; } = new();

    protected BrokerCapture(string rabbitMq)
    {
        _bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(rabbitMq));
            rabbit.ReceiveEndpoint($"{typeof(T).Name.ToLowerInvariant()}-capture-{Guid.NewGuid():N}", endpoint =>
            {
                endpoint.AutoDelete = true;
                endpoint.Durable = false;
                endpoint.Handler<T>(context => { Sent.Enqueue(context.Message); return Task.CompletedTask; });
            });
        });
    }

    protected async Task StartAsync() => await _bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

    public async Task<T> WaitForAsync(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < until)
        {
            var found = Sent.FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(50);
        }

        throw new TimeoutException($"No matching {typeof(T).Name} reached the broker.");
    }

    /// <summary>Gives the broker time to deliver anything in flight, then lists what matched.</summary>
    public async Task<List<T>> SettledAsync(Func<T, bool> match)
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        return [.. Sent.Where(match)];
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}

public sealed class SmsCapture : BrokerCapture<SendSms>
{
    private SmsCapture(string rabbitMq) : base(rabbitMq)
    {
    }

    public static async Task<SmsCapture> StartAsync(string rabbitMq)
    {
        var capture = new SmsCapture(rabbitMq);
        await capture.StartAsync();
        return capture;
    }

    public Task<SendSms> WaitForChallengeAsync(string challengeId) => WaitForAsync(sms => sms.ChallengeId == challengeId);
}

public sealed class EmailCapture : BrokerCapture<SendEmail>
{
    private EmailCapture(string rabbitMq) : base(rabbitMq)
    {
    }

    public static async Task<EmailCapture> StartAsync(string rabbitMq)
    {
        var capture = new EmailCapture(rabbitMq);
        await capture.StartAsync();
        return capture;
    }

    /// <summary>The token in the link of the last e-mail to <paramref name="to"/>.</summary>
    public async Task<string> TokenForAsync(string to, string templateId, TimeSpan? timeout = null)
    {
        var email = await WaitForAsync(sent => sent.To == to && sent.TemplateId == templateId, timeout);
        return email.Link[(email.Link.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..];
    }
}
