using FlexWhere.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>One RabbitMQ and one Redis for the whole assembly; tests in the collection run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<RabbitMqServer>, ICollectionFixture<RedisServer>
{
    public const string Name = "servers";
}

/// <summary>A broker of its own for the tests that stop it: the run's shared broker serves other assemblies.</summary>
[CollectionDefinition(Name)]
public sealed class OwnBrokerCollection : ICollectionFixture<OwnRabbitMqServer>, ICollectionFixture<RedisServer>
{
    public const string Name = "own broker";
}

/// <summary>The endpoint watchdog's tests, beside the servers collection rather than in it: most of their time is waiting, and
/// with a virtual host and a Redis database of their own their Notifiers take no message of the other tests.</summary>
[CollectionDefinition(Name)]
public sealed class WatchdogCollection : ICollectionFixture<RabbitMqServer>, ICollectionFixture<RedisServer>
{
    public const string Name = "endpoint watchdog";
}

/// <summary>The tests of the servers collection share one virtual host, so one send-sms queue; each starts
/// Notifiers that consume it.</summary>
public static class SharedQueues
{
    public static readonly string[] Consumed = ["send-sms", "send-sms-fault", "send-email"];

    /// <summary>Whether <paramref name="queue"/> is a quorum queue: the broker accepts a declaration only when
    /// it matches the queue's type (otherwise 406 PRECONDITION_FAILED, which closes the channel).</summary>
    public static async Task<bool> IsQuorumAsync(RabbitMqServer rabbitMq, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            return true;
        }
        catch (OperationInterruptedException refused) when (refused.ShutdownReason?.ReplyCode == 406)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits (up to 30 s) until no Notifier consumes the queues, and fails the test otherwise: a consumer left
    /// by an earlier test would take this test's messages, so that it waited for events that never come.
    /// </summary>
    public static async Task AssertNobodyConsumesAsync(RabbitMqServer rabbitMq)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        foreach (var queue in Consumed)
        {
            uint consumers;
            while ((consumers = await ConsumersAsync(connection, queue)) > 0)
            {
                Assert.True(DateTimeOffset.UtcNow < deadline,
                    $"{consumers} consumer(s) left by an earlier test still take messages from {queue}: " +
                    "its Notifier's bus was not stopped.");
                await Task.Delay(100);
            }
        }
    }

    private static async Task<uint> ConsumersAsync(IConnection connection, string queue)
    {
        // A passive declare of a queue that does not exist yet closes the channel: one channel per question.
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }
}

/// <summary>The development inboxes: one Redis list per channel, which the tests of the servers collection share.</summary>
public static class DevInboxes
{
    /// <summary>Empties both inboxes, so a test sees only what it sent.</summary>
    public static async Task ClearAsync(RedisServer redis)
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await connection.GetDatabase().KeyDeleteAsync([Sending.NotifierKeys.DevInbox(Sending.NotifierKeys.Sms),
            Sending.NotifierKeys.DevInbox(Sending.NotifierKeys.Email)]);
    }
}

/// <summary>What reached a queue's <c>_error</c> queue.</summary>
public static class ErrorQueues
{
    /// <summary>The error queue's copy of the message (body and headers), waiting up to ten seconds for it:
    /// MassTransit publishes the fault just before it moves the message to the error queue.</summary>
    public static async Task<string> WaitForAsync(RabbitMqServer rabbitMq, string queue, Guid messageId)
    {
        for (var poll = 0; poll < 100; poll++)
        {
            await Task.Delay(100);
            if (await FindAsync(rabbitMq, queue, messageId) is { } dead) return dead;
        }

        throw new Xunit.Sdk.XunitException($"Message {messageId} did not reach {queue}.");
    }

    /// <summary>The error queue's copy of the message, or null; other tests' messages are left alone.</summary>
    public static async Task<string?> FindAsync(RabbitMqServer rabbitMq, string queue, Guid messageId)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq.ConnectionString) };
        // A queue whose broker process is still starting answers 541 (and the broker closes the connection): ask
        // again, on a new connection, for a few seconds.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync();
                await using (var channel = await connection.CreateChannelAsync())
                {
                    try
                    {
                        await channel.QueueDeclarePassiveAsync(queue);
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException missing) when (missing.ShutdownReason?.ReplyCode == 404)
                    {
                        return null;
                    }
                }

                await using var browse = await connection.CreateChannelAsync();
                string? found = null;
                // Read without acknowledging; closing the channel puts every message back.
                while (await browse.BasicGetAsync(queue, autoAck: false) is { } delivery)
                {
                    var body = System.Text.Encoding.UTF8.GetString(delivery.Body.Span);
                    var headers = string.Join(" ", delivery.BasicProperties.Headers?.Select(header =>
                        $"{header.Key}={(header.Value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : header.Value)}") ?? []);
                    if (body.Contains(messageId.ToString())) found = body + "\n" + headers;
                }

                return found;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException starting) when (starting.ShutdownReason?.ReplyCode == 541 && attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }
}
