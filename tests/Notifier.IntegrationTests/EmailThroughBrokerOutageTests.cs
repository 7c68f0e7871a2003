using FlexWhere.Contracts;
using FlexWhere.Notifier.Sending;
using FlexWhere.Testing;
using FlexWhere.Testing.Smtp;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>
/// The broker goes away while an e-mail is with the mail server: MassTransit cancels the consume, and the message comes
/// back once the broker does. A send cut off after the server kept the message would be sent again on that redelivery
/// (SMTP cannot be asked whether a message arrived), so an attempt whose content is on its way is finished, not cancelled.
/// </summary>
[Collection(OwnBrokerCollection.Name)]
public sealed class EmailThroughBrokerOutageTests(OwnRabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    /// <summary>The server keeps the message, then takes this long to say 250: the broker is stopped in between.</summary>
    private static readonly TimeSpan ReplyDelay = TimeSpan.FromSeconds(2);

    private SmtpSink _smtp = null!;

    public Task InitializeAsync()
    {
        _smtp = SmtpSink.Start(ReplyDelay);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    [Fact]
    public async Task An_email_the_server_kept_when_the_broker_went_away_is_not_sent_again_when_the_message_comes_back()
    {
        await using var notifier = await NotifierHost.StartAsync(new ServerAddresses(rabbitMq.ConnectionString, redis.ConnectionString),
            NotifierHost.SmtpSettings(_smtp.Port));
        var message = NotifierHost.NewSendEmail();
        var keys = notifier.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(() => !_smtp.Received.IsEmpty, "The SMTP server did not receive the e-mail.");
        await rabbitMq.StopAsync();
        var sentKey = NotifierKeys.Sent(message.MessageId, NotifierKeys.Email);
        bool recordedWithoutBroker;
        try
        {
            // The send goes on without the broker: the server's 250 comes, and the sent record is written.
            var until = DateTime.UtcNow + ReplyDelay + TimeSpan.FromSeconds(10);
            while (!(recordedWithoutBroker = await keys.KeyExistsAsync(sentKey)) && DateTime.UtcNow < until) await Task.Delay(50);
        }
        finally
        {
            await rabbitMq.StartAsync();
        }

        // Its ack was lost with the connection: the broker delivers the message again. That copy finds the sent record, or (were
        // the send cut off) sends the e-mail a second time.
        var foundSent = $"E-mail {message.MessageId} was sent already";
        await NotifierHost.EventuallyAsync(async () => await keys.KeyExistsAsync(sentKey)
                && (_smtp.Received.Count > 1 || notifier.Logs.GetSnapshot().Any(log => log.Message.Contains(foundSent))),
            "The message was not delivered again after the broker came back.");
        Assert.True(recordedWithoutBroker, $"The send was cut off when the broker went away; the server has {_smtp.Received.Count} copies.");
        Assert.Single(_smtp.Received);
    }
}
