using FlexWhere.Contracts;
using FlexWhere.Testing;
using FlexWhere.Testing.Twilio;
using RabbitMQ.Client;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>
/// The broker refuses an event (a nack) the Notifier publishes from its consumer. On RabbitMQ 3.10 a channel whose first
/// publish to a quorum queue came while the queue had no leader has every later publish to that queue refused, while a new
/// channel's are confirmed (docs/reliability.md, "R1 on a RabbitMQ cluster"); only a node's death makes that state, so this
/// test makes the broker refuse in another way that one broker can: a queue bound to SmsSent that takes no message
/// (<c>x-max-length</c> 0 with <c>x-overflow</c> <c>reject-publish</c>), and checks that the Notifier closes the channel the
/// refused publish went on, and that the event goes out once the broker takes it, without a second SMS.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class RefusedEventTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    private const string SmsSentExchange = "FlexWhere.Contracts:SmsSent";
    private readonly string _refusing = $"refusing-sms-sent-{Guid.NewGuid():N}";
    private FakeTwilio _twilio = null!;

    public async Task InitializeAsync()
    {
        await SharedQueues.AssertNobodyConsumesAsync(rabbitMq);
        _twilio = await FakeTwilio.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _twilio.DisposeAsync();
        await WithChannelAsync(channel => channel.QueueDeleteAsync(_refusing));
    }

    [Fact]
    public async Task A_refused_SmsSent_closes_the_consumers_channel_and_goes_out_once_the_broker_takes_it_without_a_second_sms()
    {
        await WithChannelAsync(async channel =>
        {
            // The exchange as MassTransit declares it, so the Notifier's own declaration matches.
            await channel.ExchangeDeclareAsync(SmsSentExchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueDeclareAsync(_refusing, durable: false, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" });
            await channel.QueueBindAsync(_refusing, SmsSentExchange, "");
        });
        var settings = NotifierHost.TwilioSettings(_twilio.BaseUrl);
        // MassTransit logs a channel's shutdown, with the reason it was closed, at Debug.
        settings["Logging:LogLevel:MassTransit"] = "Debug";
        // MassTransit retries a refused publish as it does a lost connection: the Notifier gives up on it after this.
        settings["Notifier:Sending:PublishTimeout"] = "00:00:02";
        await using var notifier = await NotifierHost.StartAsync(new ServerAddresses(rabbitMq.ConnectionString, redis.ConnectionString),
            settings);
        var message = NotifierHost.NewSendSms();

        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(() => notifier.Logs.GetSnapshot().Any(log =>
                log.Message.Contains("Channel Shutdown", StringComparison.Ordinal)
                && log.Message.Contains("An event published on this channel was refused or not confirmed", StringComparison.Ordinal)),
            "The Notifier did not close the channel its refused SmsSent was published on.");
        Assert.Empty(notifier.PublishedSoFar<SmsSent>(sent => sent.MessageId == message.MessageId));

        // The broker takes SmsSent again: it goes out (confirmed).
        await WithChannelAsync(channel => channel.QueueDeleteAsync(_refusing));
        await notifier.SentAsync(message.MessageId);
        Assert.Equal(1, _twilio.AcceptedFor(message.Destination));
        Assert.Contains(notifier.Logs.GetSnapshot(),
            log => log.Message.Contains("was refused or not confirmed (", StringComparison.Ordinal));
    }

    private async Task WithChannelAsync(Func<IChannel, Task> use)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(rabbitMq.ConnectionString) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await use(channel);
    }
}
