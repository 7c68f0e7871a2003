using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace FlexWhere.Bench;

/// <summary>
/// Q1: how long a persistent publish waits for the broker's confirm, into a classic durable queue (what the services
/// declare) and into a quorum queue (what the scale-out issue asks for), each consumed and acked meanwhile as
/// <c>send-sms</c> is. The figure behind the publish timeouts (Challenges' <c>SendSms</c>, the Notifier's events):
/// a publish whose confirm takes longer than its timeout fails the sign-in or the send.
/// </summary>
public static class QueueScenario
{
    public static async Task RunAsync(Report report, BenchSettings settings, string rabbitMq)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        var messages = settings.Smoke ? 200 : 4_000;
        foreach (var concurrency in new[] { 1, 8 })
        {
            foreach (var quorum in new[] { false, true })
            {
                var kind = quorum ? "quorum queue" : "classic durable queue";
                var (latencies, elapsed) = await PublishConfirmedAsync(factory, quorum, messages, concurrency);
                report.Row("Q1 publish confirm", $"{kind}, {concurrency} publisher(s)", $"{messages / elapsed.TotalSeconds:N0} msg/s",
                    Report.Ms(latencies.PercentileMs(50)), Report.Ms(latencies.PercentileMs(99)),
                    $"{messages:N0} persistent 700-byte messages, each awaited until confirmed, consumed and acked meanwhile; max " +
                        $"{Report.Ms(latencies.MaxMs)}; load {Report.LoadAverage()}");
                report.Line($"Q1 {kind}, {concurrency} publisher(s): {messages} confirms, p50 {Report.Ms(latencies.PercentileMs(50))}, " +
                    $"p99 {Report.Ms(latencies.PercentileMs(99))}, max {Report.Ms(latencies.MaxMs)}, {elapsed.TotalSeconds:N2} s");
            }
        }
    }

    private static async Task<(Latencies Latencies, TimeSpan Elapsed)> PublishConfirmedAsync(ConnectionFactory factory, bool quorum,
        int messages, int concurrency)
    {
        await using var connection = await factory.CreateConnectionAsync("bench-q1");
        await using var setup = await connection.CreateChannelAsync();
        var queue = $"bench-q1-{Guid.NewGuid():N}";
        // Quorum queues cannot be exclusive or auto-deleted: deleted below instead.
        await setup.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: quorum ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null);
        try
        {
            await using var consumerChannel =
                await connection.CreateChannelAsync(new CreateChannelOptions(false, false, consumerDispatchConcurrency: 8));
            await consumerChannel.BasicQosAsync(0, 16, false);
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += (_, delivery) => consumerChannel.BasicAckAsync(delivery.DeliveryTag, false).AsTask();
            await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

            var body = new byte[700];
            Random.Shared.NextBytes(body);
            var micros = new long[messages];
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                // With confirmation tracking each publish returns once the broker has confirmed it (or throws on a nack).
                await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
                for (var i = Interlocked.Increment(ref next); i < messages; i = Interlocked.Increment(ref next))
                {
                    var started = Stopwatch.GetTimestamp();
                    await channel.BasicPublishAsync("", queue, mandatory: true,
                        new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString() }, body);
                    micros[i] = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                }
            }));
            clock.Stop();
            return (new Latencies(micros), clock.Elapsed);
        }
        finally
        {
            await setup.QueueDeleteAsync(queue);
        }
    }
}
